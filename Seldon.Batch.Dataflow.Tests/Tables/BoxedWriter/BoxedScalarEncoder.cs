using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>Writes a column that is not a list: the values present, and a definition level per row when the field can
/// hold nulls (the maximum for a value, one less for a null).</summary>
/// <param name="leaf">The column's field.</param>
/// <param name="convert">A row's value (never null) to what Parquet.Net writes for the field.</param>
internal sealed class BoxedScalarEncoder<T>(DataField leaf, Func<object, T> convert) : BoxedColumnEncoder
    where T : struct
{
    private T[] _values = [];
    private int[] _definitionLevels = [];

    public override Field Field => leaf;

    public override async Task WriteAsync(ParquetRowGroupWriter rowGroup, object?[] values, int rows, CancellationToken ct)
    {
        if (_values.Length < rows)
        {
            _values = new T[rows];
            _definitionLevels = new int[rows];
        }

        var max = leaf.MaxDefinitionLevel;
        var present = 0;
        for (var r = 0; r < rows; r++)
        {
            if (values[r] is { } value)
            {
                _values[present++] = convert(value);
                _definitionLevels[r] = max;
            }
            else if (max == 0)
            {
                throw new InvalidOperationException($"the column '{leaf.Name}' cannot hold nulls (its Parquet type is required), and a row has none");
            }
            else
            {
                _definitionLevels[r] = max - 1;
            }
        }

        await rowGroup.WriteAllPartsAsync<T>(
            leaf,
            _values.AsMemory(0, present),
            max == 0 ? (ReadOnlyMemory<int>?)null : _definitionLevels.AsMemory(0, rows),
            null,
            ct).ConfigureAwait(false);
    }
}
