using System.Collections;
using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>Writes a list column (an optional list of optional elements, the three levels Parquet's spec, Spark, pandas
/// and DuckDB use): per element its value when present, a definition level (a value, a null element, an empty list, a
/// null list) and a repetition level (0 starts a row's list). A row's list is held as it came until the row group is
/// written.</summary>
/// <param name="list">The column's field.</param>
/// <param name="element">The list's element field.</param>
/// <param name="convert">An element's value (never null) to what Parquet.Net writes for the element field.</param>
internal sealed class ListEncoder<T>(ListField list, DataField element, Func<object, T> convert) : ColumnEncoder
    where T : struct
{
    private T[] _values = [];
    private int[] _definitionLevels = [];
    private int[] _repetitionLevels = [];
    private object?[] _held = [];
    private int _rows;

    public override Field Field => list;

    public override void Add(object? value)
    {
        if (_rows == _held.Length)
        {
            Array.Resize(ref _held, Math.Max(1024, _held.Length * 2));
        }

        _held[_rows++] = value;
    }

    public override async Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken ct)
    {
        var values = _held;
        var rows = _rows;
        _rows = 0;
        var entries = Reserve(values, rows);
        var value = element.MaxDefinitionLevel;
        var nullElement = value - 1;
        var emptyList = value - (element.IsNullable ? 1 : 0) - 1;
        var nullList = emptyList - 1;
        var present = 0;
        var entry = 0;
        for (var r = 0; r < rows; r++)
        {
            switch (values[r])
            {
                case null:
                    _repetitionLevels[entry] = 0;
                    _definitionLevels[entry++] = nullList >= 0 ? nullList : throw new InvalidOperationException($"the list column '{list.Name}' cannot be null, and a row has none");
                    break;
                case IList { Count: 0 }:
                    _repetitionLevels[entry] = 0;
                    _definitionLevels[entry++] = emptyList;
                    break;
                case IList items:
                    for (var i = 0; i < items.Count; i++)
                    {
                        _repetitionLevels[entry] = i == 0 ? 0 : 1;
                        if (items[i] is { } item)
                        {
                            _values[present++] = convert(item);
                            _definitionLevels[entry++] = value;
                        }
                        else
                        {
                            _definitionLevels[entry++] = element.IsNullable ? nullElement : throw new InvalidOperationException($"the elements of the list column '{list.Name}' cannot be null, and one is");
                        }
                    }

                    break;
                default:
                    throw new InvalidOperationException($"the column '{list.Name}' holds lists, and a row holds a {values[r]!.GetType().Name}");
            }
        }

        Array.Clear(values, 0, rows);
        await rowGroup.WriteAllPartsAsync<T>(
            element,
            _values.AsMemory(0, present),
            _definitionLevels.AsMemory(0, entries),
            _repetitionLevels.AsMemory(0, entries),
            ct).ConfigureAwait(false);
    }

    /// <summary>Makes room for the rows' entries (one per element, one per null or empty list); returns how many.</summary>
    private int Reserve(object?[] values, int rows)
    {
        var entries = 0;
        for (var r = 0; r < rows; r++)
        {
            entries += values[r] is IList { Count: > 0 } items ? items.Count : 1;
        }

        if (_definitionLevels.Length < entries)
        {
            _values = new T[entries];
            _definitionLevels = new int[entries];
            _repetitionLevels = new int[entries];
        }

        return entries;
    }
}
