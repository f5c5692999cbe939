using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>Writes a column that is not a list: the values present, and a definition level per row when the field can
/// hold nulls (the maximum for a value, one less for a null). Each value is converted as it is taken, into arrays reused
/// from one row group to the next, with a level of 1 for a value and 0 for a null: the field's own levels are known only
/// once the schema holds it (before the first row group is written), so they are set when the chunk is.</summary>
/// <param name="leaf">The column's field.</param>
/// <param name="convert">A row's value (never null) to what Parquet.Net writes for the field.</param>
internal sealed class ScalarEncoder<T>(DataField leaf, Func<object, T> convert) : ColumnEncoder
    where T : struct
{
    private T[] _values = [];
    private int[] _definitionLevels = [];
    private int _rows;
    private int _present;

    public override Field Field => leaf;

    public override void Add(object? value)
    {
        if (_rows == _definitionLevels.Length)
        {
            Grow();
        }

        if (value is not null)
        {
            _values[_present++] = convert(value);
            _definitionLevels[_rows++] = 1;
        }
        else
        {
            _definitionLevels[_rows++] = 0;
        }
    }

    public override async Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken ct)
    {
        var rows = _rows;
        var present = _present;
        _rows = 0;
        _present = 0;
        var max = leaf.MaxDefinitionLevel;
        if (max == 0 && present < rows)
        {
            throw new InvalidOperationException($"the column '{leaf.Name}' cannot hold nulls (its Parquet type is required), and a row has none");
        }

        if (max > 1)
        {
            for (var r = 0; r < rows; r++)
            {
                _definitionLevels[r] += max - 1;
            }
        }

        await rowGroup.WriteAllPartsAsync<T>(
            leaf,
            _values.AsMemory(0, present),
            max == 0 ? (ReadOnlyMemory<int>?)null : _definitionLevels.AsMemory(0, rows),
            null,
            ct).ConfigureAwait(false);
    }

    /// <summary>Doubles the room (a row group's rows, once the first row group is gathered).</summary>
    private void Grow()
    {
        var length = Math.Max(1024, _definitionLevels.Length * 2);
        Array.Resize(ref _values, length);
        Array.Resize(ref _definitionLevels, length);
    }
}
