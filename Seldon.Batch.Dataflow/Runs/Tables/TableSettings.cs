using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>What a table output is made of besides its records, kept in the records' <see cref="RunRecord"/> (a shard's
/// part's too): <c>merge</c>, which is given only the output, reads there how to write the table from the joined
/// records. Not compared when a run continues: the records do not depend on them.</summary>
/// <param name="Format">The table's format (CSV or Parquet).</param>
/// <param name="InputFormat">The input's format, as the run read it.</param>
/// <param name="KeepColumns">The input columns copied into each row; null for every one.</param>
/// <param name="InputGzip">Whether the input is gzip.</param>
internal sealed record TableSettings(TableFormat Format, TableFormat InputFormat, IReadOnlyList<string>? KeepColumns, bool InputGzip)
{
    /// <summary>The table settings of a run of <paramref name="options"/>; null when its output is JSON lines.</summary>
    public static TableSettings? Of(BatchOptions options)
    {
        var format = TableFormats.Resolve(options.OutputFormat, options.OutputDataPath);
        if (!format.IsTable())
        {
            return null;
        }

        var input = StorageLocation.Parse(options.InputDataPath);
        var gzip = options.InputCompression == InputCompression.Gzip
            || (options.InputCompression == InputCompression.Auto && input.ToString().EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
        return new TableSettings(format, TableFormats.Resolve(options.InputFormat, options.InputDataPath), options.KeepColumns, gzip);
    }

    /// <summary>The settings recorded in <paramref name="json"/>; null when it holds none (a JSON-lines output, or a record
    /// of an older version) or they cannot be read.</summary>
    public static TableSettings? FromJson(JsonNode? json)
    {
        if (json is not JsonObject table
            || table["format"] is not JsonValue format || !format.TryGetValue<string>(out var outputName)
            || !Enum.TryParse<TableFormat>(outputName, ignoreCase: true, out var output)
            || table["input_format"] is not JsonValue inputFormat || !inputFormat.TryGetValue<string>(out var inputName)
            || !Enum.TryParse<TableFormat>(inputName, ignoreCase: true, out var input))
        {
            return null;
        }

        var keep = table["keep_columns"] is JsonArray columns
            ? columns.Select(c => c is JsonValue v && v.TryGetValue<string>(out var name) ? name : "").ToArray()
            : null;
        return new TableSettings(output, input, keep, table["input_gzip"] is JsonValue gzip && gzip.TryGetValue<bool>(out var isGzip) && isGzip);
    }

    /// <summary>The settings as the record's JSON object.</summary>
    public JsonObject ToJson() => new()
    {
        ["format"] = BatchOptions.Name(Format),
        ["input_format"] = BatchOptions.Name(InputFormat),
        ["keep_columns"] = KeepColumns is null ? null : new JsonArray([.. KeepColumns.Select(c => (JsonNode?)JsonValue.Create(c))]),
        ["input_gzip"] = InputGzip,
    };
}
