using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>CsvTableWriter's files read back by DuckDB (read_csv) and by CsvTableReader: every value type, null against
/// "", text that needs quoting, doubles that must round-trip, tabs, and a table too long to hold in memory.</summary>
[Trait("Category", "Integration")]
public sealed class CsvTableWriterTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-csv-write-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static readonly double[] Doubles =
        [0.1, 1.0 / 3, -0.0, 1e-7, 5e-324, double.MaxValue, -double.Epsilon, 123456789.125, double.NaN, double.PositiveInfinity, double.NegativeInfinity];

    private static readonly string?[] Texts =
        ["plain", "a,b", "say \"hi\"", "two\nlines", "crlf\r\ninside", "", null, "é 😀 中文", " spaced ", "tab\there", "NULL"];

    private async Task<string> WriteAsync(string name, char delimiter, IReadOnlyList<TableColumn> columns, IEnumerable<object?[]> rows)
    {
        var path = PathOf(name);
        await using var file = File.Create(path);
        await using (var writer = CsvTableWriter.Create(file, delimiter, columns))
        {
            foreach (var row in rows)
            {
                await writer.WriteAsync(row, CancellationToken.None);
            }

            await writer.CompleteAsync(CancellationToken.None);
        }

        return path;
    }

    [Fact]
    public async Task Every_value_type_reads_back_in_DuckDB_as_written()
    {
        TableColumn[] columns =
        [
            new("id", typeof(long)), new("x", typeof(double)), new("s", typeof(string)), new("flag", typeof(bool)),
            new("amount", typeof(decimal)), new("ts", typeof(DateTime)), new("day", typeof(DateOnly)), new("l", typeof(object?[])),
            new("f", typeof(float)), new("small", typeof(int)),
        ];
        var rows = Enumerable.Range(0, Doubles.Length).Select(i => new object?[]
        {
            i switch { 0 => long.MinValue, 1 => long.MaxValue, _ => (long)i },
            Doubles[i],
            Texts[i],
            i % 3 == 2 ? null : i % 3 == 0,
            i == 4 ? null : 12.340m + i,
            i == 5 ? null : new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Unspecified).AddTicks(1_234_560 * i),
            i == 6 ? null : new DateOnly(2024, 2, 28).AddDays(i),
            i switch { 7 => null, 8 => Array.Empty<object?>(), _ => [1.5 * i, null, (long)i, "t"] },
            i == 9 ? null : 0.1f * i,
            i == 10 ? null : i - 5,
        }).ToList();

        var path = await WriteAsync("all.csv", ',', columns, rows);

        var duck = await DuckDb.QueryAsync($"""
            SELECT id, x::DOUBLE AS x, s, flag::BOOLEAN AS flag, amount, ts::TIMESTAMP::VARCHAR AS ts, day::DATE::VARCHAR AS day, l,
                   f::DOUBLE AS f, small::INTEGER AS small
            FROM {CsvFiles.ReadCsv(path, allVarchar: true)}
            """);
        Assert.Equal(rows.Count, duck.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            var row = duck[i];
            Assert.Equal(Convert.ToString(rows[i][0], CultureInfo.InvariantCulture), (string)row["id"]!);
            Assert.Equal(Doubles[i], DuckDouble(row["x"]));
            Assert.Equal(Texts[i], (string?)row["s"]);
            Assert.Equal((bool?)rows[i][3], (bool?)row["flag"]);
            Assert.Equal(i == 4 ? null : (12.340m + i).ToString(CultureInfo.InvariantCulture), (string?)row["amount"]);
            Assert.Equal(rows[i][5] is DateTime t ? t.ToString("yyyy-MM-dd HH:mm:ss.FFFFFF", CultureInfo.InvariantCulture).TrimEnd('.') : null, (string?)row["ts"]);
            Assert.Equal(rows[i][6] is DateOnly d ? d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : null, (string?)row["day"]);
            Assert.Equal(rows[i][8] as float?, (float?)(double?)row["f"]);
            Assert.Equal((int?)rows[i][9], (int?)row["small"]);
        }

        // Lists are JSON text.
        Assert.Equal("[3,null,2,\"t\"]", (string)duck[2]["l"]!);
        Assert.Equal("[]", (string)duck[8]["l"]!);
        Assert.Null(duck[7]["l"]);
        var list = await DuckDb.QueryAsync($"SELECT (l::JSON)->>'$[0]' AS first FROM {CsvFiles.ReadCsv(path, allVarchar: true)} WHERE id = '3'");
        Assert.Equal("4.5", (string)list[0]["first"]!);
    }

    [Fact]
    public async Task Null_is_an_empty_field_an_empty_string_is_quoted_and_only_what_needs_quotes_has_them()
    {
        var path = await WriteAsync("exact.csv", ',', [new("a", typeof(string)), new("b,c", typeof(string)), new("n", typeof(double))],
            [[null, "", 1.5], ["x\"y", "p\nq", null], [" ", "é", double.NaN]]);

        Assert.Equal("a,\"b,c\",n\r\n,\"\",1.5\r\n\"x\"\"y\",\"p\nq\",\r\n ,é,NaN\r\n", await File.ReadAllTextAsync(path, Encoding.UTF8));
        Assert.Equal((byte)'a', (await File.ReadAllBytesAsync(path))[0]); // no byte-order mark
    }

    [Fact]
    public async Task What_the_writer_writes_the_reader_reads_back_value_for_value()
    {
        TableColumn[] columns = [new("id", typeof(long)), new("x", typeof(double)), new("s", typeof(string)), new("flag", typeof(bool))];
        var rows = Enumerable.Range(0, 3000).Select(i => new object?[]
        {
            i % 97 == 3 ? null : (long)i * 7_000_000_000L - 11,
            i % 89 == 5 ? null : Doubles[i % Doubles.Length] * (i + 1),
            Texts[i % Texts.Length],
            i % 13 == 0 ? null : i % 2 == 0,
        }).ToList();

        var path = await WriteAsync("round.csv", ',', columns, rows);
        var (layout, read) = await CsvFiles.ReadAllAsync(path);

        Assert.Equal(columns.Select(c => (c.Name, c.ValueType)), layout.Columns.Select(c => (c.Name, c.ValueType)));
        Assert.Equal(rows, read);
    }

    [Fact]
    public async Task A_tab_separated_table_reads_back_in_DuckDB()
    {
        var path = await WriteAsync("t.tsv", '\t', [new("id", typeof(long)), new("s", typeof(string))],
            [[1L, "a\tb"], [2L, "c,d"], [3L, null], [4L, ""]]);

        var duck = await DuckDb.QueryAsync($"SELECT * FROM {CsvFiles.ReadCsv(path, '\t')}");

        Assert.Equal("1\t\"a\tb\"\r\n", File.ReadAllLines(path)[1] + "\r\n");
        Assert.Equal(["a\tb", "c,d", null, ""], duck.Select(r => (string?)r["s"]));
    }

    [Fact]
    public async Task A_long_table_is_written_whole()
    {
        const int Rows = 200_000;
        var path = await WriteAsync("long.csv", ',', [new("id", typeof(long)), new("x", typeof(double)), new("s", typeof(string))],
            Enumerable.Range(0, Rows).Select(i => new object?[] { (long)i, i * 0.5, i % 10 == 0 ? "a,\"b\"\nc" : "s" + i }));

        var duck = await DuckDb.QueryAsync($"SELECT count(*) AS n, sum(id) AS ids, sum(x) AS xs, count(*) FILTER (WHERE s LIKE 'a,%') AS odd FROM {CsvFiles.ReadCsv(path)}");

        Assert.Equal(Rows, (long)duck[0]["n"]!);
        Assert.Equal((long)Rows * (Rows - 1) / 2, (long)duck[0]["ids"]!);
        Assert.Equal((double)Rows * (Rows - 1) / 4, (double)duck[0]["xs"]!);
        Assert.Equal(Rows / 10, (long)duck[0]["odd"]!);
    }

    private static double DuckDouble(JsonNode? node) => node!.GetValueKind() == System.Text.Json.JsonValueKind.String
        ? double.Parse((string)node!, CultureInfo.InvariantCulture)
        : (double)node;
}
