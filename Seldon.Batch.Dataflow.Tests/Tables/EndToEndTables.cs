using System.Globalization;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Tests.Fixtures;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The end-to-end tests' tables, written and read by DuckDB only (never by the library's own readers): an input
/// table of <c>n</c> rows whose model inputs are <c>a</c> = r (BIGINT) and <c>b</c> = r + 0.5 (DOUBLE), beside kept
/// columns of many types; and the checks of an output table: its kept columns equal to the input's row by row, its
/// prediction columns what the built-in model answers (each number doubled: 2r and 2r + 1), <c>error</c> null.</summary>
internal static class EndToEndTables
{
    /// <summary>The model's input columns.</summary>
    public static readonly string[] Inputs = ["a", "b"];

    /// <summary>The kept columns of <see cref="WriteAsync"/>'s table (every column but the model inputs).</summary>
    public static readonly string[] Kept = ["k32", "day", "ts", "amount", "flag", "note"];

    /// <summary>Writes the input table to <paramref name="path"/> (its format by its name: .parquet; .csv, .tsv, either
    /// with .gz). <paramref name="b"/> gives column b's SQL (over the row number i), to poison rows.</summary>
    public static Task WriteAsync(string path, int rows, string b = "(i + 0.5)::DOUBLE") => DuckDb.ExecAsync($"""
        CREATE TABLE t AS SELECT
            i::INTEGER AS k32,
            DATE '2024-01-01' + i::INTEGER AS day,
            TIMESTAMP '2024-01-01 00:00:00' + to_minutes(i) AS ts,
            (i * 1.25)::DECIMAL(10,2) AS amount,
            i % 2 = 0 AS flag,
            CASE WHEN i % 10 = 4 THEN NULL ELSE 'n' || i || ', "q"' || chr(10) || 'ø€✓ ' || repeat('x', i % 3) END AS note,
            i::BIGINT AS a,
            {b} AS b
        FROM range(0, {rows}) r(i) ORDER BY i;
        COPY t TO {DuckDb.Literal(path)} ({CopyFormat(path)});
        """);

    /// <summary>The COPY options that write <paramref name="path"/>'s format.</summary>
    public static string CopyFormat(string path)
    {
        if (path.EndsWith(".parquet", StringComparison.Ordinal))
        {
            return "FORMAT parquet";
        }

        var gzip = path.EndsWith(".gz", StringComparison.Ordinal) ? ", COMPRESSION gzip" : "";
        var tab = path.Contains(".tsv", StringComparison.Ordinal) ? ", DELIMITER '\t'" : "";
        return $"FORMAT csv, HEADER{gzip}{tab}";
    }

    /// <summary>DuckDB's reading of <paramref name="path"/> (a Parquet, CSV or TSV file, gzip or not), as SQL.</summary>
    public static string Scan(string path)
    {
        if (path.EndsWith(".parquet", StringComparison.Ordinal))
        {
            return $"read_parquet({DuckDb.Literal(path)})";
        }

        var tab = path.Contains(".tsv", StringComparison.Ordinal) ? ", delim = '\t'" : "";
        return $"read_csv({DuckDb.Literal(path)}, header = true{tab})";
    }

    /// <summary>The rows of a table file as DuckDB reads them, in file order.</summary>
    public static Task<IReadOnlyList<JsonObject>> RowsAsync(string path) => DuckDb.QueryAsync($"SELECT * FROM {Scan(path)}");

    /// <summary>The column names and DuckDB types of a table file, in order.</summary>
    public static async Task<IReadOnlyList<(string Name, string Type)>> SchemaAsync(string path) =>
        [.. (await DuckDb.QueryAsync($"DESCRIBE SELECT * FROM {Scan(path)}"))
            .Select(r => (r["column_name"]!.GetValue<string>(), r["column_type"]!.GetValue<string>()))];

    /// <summary>The rows of a JSON-lines file as DuckDB reads them (each the record's JSON), in file order.</summary>
    public static async Task<IReadOnlyList<JsonObject>> RecordsAsync(string path) =>
        [.. (await DuckDb.QueryAsync($"SELECT json::VARCHAR AS j FROM read_json_objects({DuckDb.Literal(path)}, format = 'newline_delimited')"))
            .Select(r => JsonNode.Parse(r["j"]!.GetValue<string>())!.AsObject())];

    /// <summary>A value as text that two readings of one value agree on whatever type each gave it (a CSV's DOUBLE
    /// 1.25 and a Parquet DECIMAL '1.25'; a DATE and a string '2024-01-02').</summary>
    public static string? Comparable(JsonNode? value)
    {
        if (value is null)
        {
            return null;
        }

        if (value is JsonValue v && v.TryGetValue(out bool flag))
        {
            return flag ? "true" : "false";
        }

        var text = value is JsonValue s && s.TryGetValue(out string? str) ? str! : value.ToJsonString();
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
            ? number.ToString("R", CultureInfo.InvariantCulture)
            : text;
    }

    /// <summary>The numbers of a prediction cell: a number, a list, or (in a CSV) a list as JSON text.</summary>
    public static IEnumerable<double> Numbers(JsonNode? cell)
    {
        switch (cell)
        {
            case null:
                yield break;
            case JsonArray list:
                foreach (var item in list)
                {
                    yield return item!.GetValue<double>();
                }

                break;
            case JsonValue value when value.TryGetValue(out string? text):
                var parsed = text!.StartsWith('[') ? JsonNode.Parse(text)! : JsonValue.Create(double.Parse(text, CultureInfo.InvariantCulture));
                foreach (var n in Numbers(parsed))
                {
                    yield return n;
                }

                break;
            default:
                yield return cell.GetValue<double>();
                break;
        }
    }

    /// <summary>Checks an output table against its input table, both read by DuckDB: one output row per input row in
    /// order, the <paramref name="kept"/> columns equal, then every column after them but <c>error</c> a prediction,
    /// whose numbers are those the model answers for the row (2a, 2b); <c>error</c> null except on the
    /// <paramref name="failed"/> rows, whose predictions are null and whose error is set.</summary>
    public static async Task AssertScoredAsync(string input, string output, IReadOnlyList<string> kept, Func<int, bool>? failed = null)
    {
        var inRows = await RowsAsync(input);
        var outRows = await RowsAsync(output);
        var schema = await SchemaAsync(output);
        var names = schema.Select(c => c.Name).ToArray();
        Assert.Equal([.. kept], names.Take(kept.Count));
        Assert.Equal("error", names[^1]);
        var predictions = names.Skip(kept.Count).SkipLast(1).ToArray();
        Assert.NotEmpty(predictions);
        Assert.Equal(inRows.Count, outRows.Count);
        for (var r = 0; r < inRows.Count; r++)
        {
            foreach (var column in kept)
            {
                Assert.True(
                    Comparable(inRows[r][column]) == Comparable(outRows[r][column]),
                    $"row {r}, column {column}: {inRows[r][column]?.ToJsonString() ?? "null"} in, {outRows[r][column]?.ToJsonString() ?? "null"} out");
            }

            if (failed?.Invoke(r) == true)
            {
                Assert.All(predictions, p => Assert.Null(outRows[r][p]));
                Assert.False(string.IsNullOrEmpty(outRows[r]["error"]?.GetValue<string>()), $"row {r} failed but has no error");
                continue;
            }

            Assert.True(outRows[r]["error"] is null, $"row {r}: {outRows[r]["error"]}");
            var a = inRows[r]["a"]!.GetValue<double>();
            var b = inRows[r]["b"]!.GetValue<double>();
            Assert.Equal([2 * a, 2 * b], predictions.SelectMany(p => Numbers(outRows[r][p])));
        }
    }
}
