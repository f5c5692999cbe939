using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>A top-level column of a Parquet file as a table reader sees it: a value (a leaf <see cref="DataField"/>),
/// a list of values (a <see cref="ListField"/> of a leaf, or a legacy repeated leaf), or something this reader does not
/// read (a struct, a map, a list of those, an INTERVAL), whose <see cref="TableColumn.ValueType"/> is <see cref="object"/>.</summary>
internal sealed class ParquetColumn
{
    private readonly LeafDecoder? _decoder;

    private ParquetColumn(Field field, System.Type valueType, DataField? leaf, LeafDecoder? decoder, string? unsupported)
    {
        Table = new TableColumn(field.Name, valueType, field);
        Leaf = leaf;
        _decoder = decoder;
        Unsupported = unsupported;
    }

    /// <summary>The column as the run sees it; its <see cref="TableColumn.Native"/> is the file's <see cref="Field"/>.</summary>
    public TableColumn Table { get; }

    /// <summary>The leaf whose column chunk holds the values; null for a column this reader does not read.</summary>
    public DataField? Leaf { get; }

    /// <summary>Why the column is not read ("a struct", "a map"), or null when it is.</summary>
    public string? Unsupported { get; }

    public static ParquetColumn For(Field field)
    {
        switch (field)
        {
            case DataField leaf when leaf.MaxRepetitionLevel == 0:
                return Of(field, leaf, listDefinedLevel: null);
            case DataField repeated when repeated.MaxRepetitionLevel == 1:
                // A legacy repeated leaf with no LIST annotation: a required list of required elements.
                return Of(field, repeated, repeated.MaxDefinitionLevel - 1);
            case ListField { Item: DataField item } when item.MaxRepetitionLevel == 1:
                // The usual three levels (an optional list, a repeated group, an optional element) and the legacy two:
                // the list exists from the level below its first element's.
                var elementCanBeNull = item.IsNullable && !item.IsArray;
                return Of(field, item, item.MaxDefinitionLevel - (elementCanBeNull ? 1 : 0) - 1);
            case StructField:
                return new ParquetColumn(field, typeof(object), null, null, "a struct");
            case MapField:
                return new ParquetColumn(field, typeof(object), null, null, "a map");
            default:
                return new ParquetColumn(field, typeof(object), null, null, "a list of lists, structs or maps");
        }
    }

    private static ParquetColumn Of(Field field, DataField leaf, int? listDefinedLevel)
    {
        var decoder = ParquetColumnTypes.DecoderFor(leaf, field, listDefinedLevel, out var unsupported);
        if (decoder is null)
        {
            return new ParquetColumn(field, typeof(object), null, null, unsupported);
        }

        return new ParquetColumn(field, listDefinedLevel is null ? decoder.ValueType : typeof(object[]), leaf, decoder, null);
    }

    /// <summary>The column's values in one row group.</summary>
    public ValueTask<ColumnValues> ReadAsync(ParquetRowGroupReader rowGroup, int rows, CancellationToken ct) =>
        _decoder is null ? throw new InvalidOperationException($"the column '{Table.Name}' is {Unsupported}: it is not read") : _decoder.ReadAsync(rowGroup, rows, ct);
}
