using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>What the CSV tests share: reading a file whole with the library's reader, and reading it with DuckDB to
/// compare (DuckDB is told the dialect the library reads, and that a quoted empty field is "", not null).</summary>
internal static class CsvFiles
{
    /// <summary>The layout of <paramref name="path"/> and all its rows (copied: the reader reuses its row array).</summary>
    public static async Task<(CsvLayout Layout, List<object?[]> Rows)> ReadAllAsync(string path, char delimiter = ',')
    {
        await using var describe = File.OpenRead(path);
        var layout = await CsvTableReader.DescribeAsync(describe, delimiter, path, CancellationToken.None);
        await using var stream = File.OpenRead(path);
        return (layout, await ReadRowsAsync(stream, delimiter, layout, atFileStart: true));
    }

    /// <summary>Every row of <paramref name="stream"/>, every column, copied.</summary>
    public static async Task<List<object?[]>> ReadRowsAsync(Stream stream, char delimiter, CsvLayout layout, bool atFileStart, long skip = 0)
    {
        await using var reader = CsvTableReader.Open(stream, delimiter, layout, atFileStart);
        var all = Enumerable.Range(0, layout.Columns.Count).ToArray();
        var rows = new List<object?[]>();
        await foreach (var row in reader.ReadAsync(all, skip, CancellationToken.None))
        {
            rows.Add([.. row]);
        }

        return rows;
    }

    /// <summary>DuckDB's reading of <paramref name="path"/> (plain or gzip), every value as its text (or null).</summary>
    public static Task<IReadOnlyList<JsonObject>> DuckRowsAsync(string path, char delimiter = ',') =>
        DuckDb.QueryAsync($"SELECT * FROM {ReadCsv(path, delimiter, allVarchar: true)}");

    /// <summary>DuckDB's <c>read_csv</c> of <paramref name="path"/> in the dialect the library reads and writes.</summary>
    public static string ReadCsv(string path, char delimiter = ',', bool allVarchar = false) =>
        $"read_csv({DuckDb.Literal(path)}, header=true, delim={DuckDb.Literal(delimiter.ToString())}, quote='\"', escape='\"', " +
        $"allow_quoted_nulls=false{(allVarchar ? ", all_varchar=true" : "")})";

    /// <summary>Asserts that the library read the same rows as DuckDB: the same count, names, nulls, and each value the
    /// text DuckDB read, as the column's type reads it.</summary>
    public static void AssertSameAsDuckDb(CsvLayout layout, IReadOnlyList<object?[]> rows, IReadOnlyList<JsonObject> duck)
    {
        Assert.Equal(duck.Count, rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            Assert.Equal(duck[r].Select(p => p.Key), layout.Columns.Select(c => c.Name));
            var texts = duck[r].Select(p => (string?)p.Value).ToArray();
            for (var c = 0; c < texts.Length; c++)
            {
                Assert.True(SameValue(rows[r][c], texts[c]), $"row {r} column {layout.Columns[c].Name}: the library read {Show(rows[r][c])}, DuckDB {Show(texts[c])}");
            }
        }
    }

    private static bool SameValue(object? ours, string? text) => (ours, text) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (string s, _) => s == text,
        (long l, _) => long.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) == l,
        (double d, _) => CsvValues.TryNumber(Encoding.UTF8.GetBytes(text), out var parsed) && parsed.Equals(d),
        (bool b, _) => string.Equals(text, b ? "true" : "false", StringComparison.OrdinalIgnoreCase),
        _ => false,
    };

    public static string Show(object? value) => value switch
    {
        null => "null",
        string s => System.Text.Json.JsonSerializer.Serialize(s),
        _ => $"{Convert.ToString(value, CultureInfo.InvariantCulture)} ({value.GetType().Name})",
    };
}
