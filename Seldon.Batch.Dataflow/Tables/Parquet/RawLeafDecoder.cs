using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>Reads a leaf column as Parquet.Net's raw values of <typeparamref name="T"/> with their definition and
/// repetition levels (<see cref="ParquetRowGroupReader.ReadRawAsync{T}"/>), and rebuilds the rows from the levels:
/// Parquet.Net's nullable and string overloads assume a flat column (they read the levels of a list or a struct
/// wrongly), and its dynamic <c>ReadRawColumnDataBaseAsync</c> is wrong on some DuckDB pages and not AOT-safe.</summary>
/// <param name="field">The field to read with: the file's, or a twin of it typed as the physical type (see
/// <see cref="ParquetColumnTypes"/>).</param>
/// <param name="listDefinedLevel">For a list, the definition level at which a row's list exists but may be empty (an
/// element exists above it, a value at the field's maximum); null for a column that is not a list.</param>
/// <param name="valueType">The CLR type of a value.</param>
/// <param name="convert">A stored value to the column's value.</param>
internal sealed class RawLeafDecoder<T>(DataField field, int? listDefinedLevel, Type valueType, Func<T, object> convert) : LeafDecoder
    where T : struct
{
    // Reused from one row group to the next (a row group's values are read before the next is): arrays of a row
    // group's size are large objects, and allocating new ones per row group made the process hold several times the
    // memory it uses.
    private T[] _values = [];
    private int[] _definitionLevels = [];
    private int[] _repetitionLevels = [];
    private object?[] _lists = [];

    public override Type ValueType => valueType;

    public override async ValueTask<ColumnValues> ReadAsync(ParquetRowGroupReader rowGroup, int rows, CancellationToken ct)
    {
        var chunk = rowGroup.GetMetadata(field)?.MetaData ?? throw new InvalidDataException("the row group has no chunk of this column");
        var count = checked((int)chunk.NumValues);
        if (listDefinedLevel is null && count != rows)
        {
            throw new InvalidDataException($"the column's chunk holds {count} values for {rows} rows");
        }

        var values = Reuse(ref _values, count);
        var definitionLevels = field.MaxDefinitionLevel > 0 ? Reuse(ref _definitionLevels, count) : null;
        var repetitionLevels = field.MaxRepetitionLevel > 0 ? Reuse(ref _repetitionLevels, count) : null;
        await rowGroup.ReadRawAsync(
            field,
            values.AsMemory(0, count),
            // Typed: an untyped null would become an empty Memory (from a null array), not "no levels".
            definitionLevels is null ? (Memory<int>?)null : definitionLevels.AsMemory(0, count),
            repetitionLevels is null ? (Memory<int>?)null : repetitionLevels.AsMemory(0, count),
            ct).ConfigureAwait(false);

        if (listDefinedLevel is { } defined)
        {
            var lists = Reuse(ref _lists, rows);
            Lists(values, definitionLevels!, repetitionLevels!, count, defined, lists, rows);
            return new ListValues(lists);
        }

        Spread(values, definitionLevels, count);
        return new ScalarValues<T>(values, definitionLevels, field.MaxDefinitionLevel, convert);
    }

    private static TItem[] Reuse<TItem>(ref TItem[] array, int length)
    {
        if (array.Length < length)
        {
            array = new TItem[length];
        }

        return array;
    }

    /// <summary>Moves the values, which come packed (only the rows that have one), each to its row, in place.</summary>
    private void Spread(T[] values, int[]? definitionLevels, int rows)
    {
        if (definitionLevels is null)
        {
            return;
        }

        var max = field.MaxDefinitionLevel;
        var present = 0;
        for (var row = 0; row < rows; row++)
        {
            present += definitionLevels[row] == max ? 1 : 0;
        }

        // From the end: a value's row is never before its packed place, so nothing is overwritten before it moves.
        for (var row = rows - 1; row >= 0 && present > 0; row--)
        {
            if (definitionLevels[row] == max)
            {
                values[row] = values[--present];
            }
        }
    }

    /// <summary>Each row's list, from the levels: repetition level 0 starts a row; below <paramref name="defined"/> the
    /// row's list is null, at it empty; above it an element, null below the maximum level.</summary>
    private void Lists(T[] values, int[] definitionLevels, int[] repetitionLevels, int count, int defined, object?[] lists, int rows)
    {
        var max = field.MaxDefinitionLevel;
        var elements = new List<object?>();
        var row = -1;
        var isNull = true;
        var next = 0;
        for (var i = 0; i < count; i++)
        {
            var level = definitionLevels[i];
            if (repetitionLevels[i] == 0)
            {
                if (row >= 0)
                {
                    lists[row] = isNull ? null : elements.ToArray();
                }

                if (++row >= rows)
                {
                    throw new InvalidDataException($"the column's chunk holds more than {rows} rows");
                }

                elements.Clear();
                isNull = level < defined;
            }

            if (level > defined)
            {
                elements.Add(level == max ? convert(values[next++]) : null);
            }
        }

        if (row >= 0)
        {
            lists[row] = isNull ? null : elements.ToArray();
        }

        if (row + 1 != rows)
        {
            throw new InvalidDataException($"the column's chunk holds {row + 1} rows, not {rows}");
        }
    }
}
