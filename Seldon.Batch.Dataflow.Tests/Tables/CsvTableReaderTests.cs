using System.IO.Compression;
using System.Text;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>CsvTableReader against files DuckDB wrote (and a few written by hand where DuckDB writes no such thing): the
/// rows it reads are the rows DuckDB reads from the same file, with the odd parts of CSV (quotes, delimiters and line
/// breaks inside fields, null against "", UTF-8, a byte-order mark, CRLF, tabs, gzip), column types guessed from the first
/// rows, and a value past them that does not fit its column given as its text.</summary>
[Trait("Category", "Integration")]
public sealed class CsvTableReaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-csv-read-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private async Task<string> DuckWritesAsync(string name, string select, string options = "HEADER")
    {
        var path = PathOf(name);
        await DuckDb.ExecAsync($"COPY ({select}) TO {DuckDb.Literal(path)} ({options})");
        return path;
    }

    [Fact]
    public async Task Columns_are_typed_as_DuckDB_types_them_and_read_as_DuckDB_reads_them()
    {
        var path = await DuckWritesAsync("typed.csv", """
            SELECT range AS id, (range * 0.5 - 3)::DOUBLE AS x, range % 3 = 0 AS flag, 'name ' || range AS s,
                   CASE WHEN range % 4 = 0 THEN NULL ELSE range * 1000000000000 END AS maybe, NULL::VARCHAR AS nothing,
                   DATE '2024-01-01' + range::INT AS day
            FROM range(50)
            """);

        var (layout, rows) = await CsvFiles.ReadAllAsync(path);

        Assert.Equal(
            [("id", typeof(long)), ("x", typeof(double)), ("flag", typeof(bool)), ("s", typeof(string)), ("maybe", typeof(long)), ("nothing", typeof(string)), ("day", typeof(string))],
            layout.Columns.Select(c => (c.Name, c.ValueType)));
        var duckTypes = await DuckDb.QueryAsync($"DESCRIBE SELECT * FROM {CsvFiles.ReadCsv(path)}");
        Assert.Equal(["BIGINT", "DOUBLE", "BOOLEAN", "VARCHAR", "BIGINT", "VARCHAR"], duckTypes.Take(6).Select(t => (string)t["column_type"]!));
        CsvFiles.AssertSameAsDuckDb(layout, rows, await CsvFiles.DuckRowsAsync(path));
        Assert.Equal([3L, -1.5, CsvValues.True, "name 3", 3_000_000_000_000L, null, "2024-01-04"], rows[3]);
        Assert.Null(rows[4][4]);
    }

    [Fact]
    public async Task Quotes_delimiters_line_breaks_nulls_empty_strings_and_UTF8_read_as_written()
    {
        var path = await DuckWritesAsync("odd.csv", """
            SELECT * FROM (VALUES
              (1, 'plain', 'x'),
              (2, 'a,b', NULL),
              (3, 'say "hi"', ''),
              (4, 'two' || chr(10) || 'lines', 'é 😀 中文'),
              (5, 'crlf' || chr(13) || chr(10) || 'inside', ' spaced '),
              (6, '', '"'),
              (7, NULL, ',')
            ) v(id, s, t)
            """);

        var (layout, rows) = await CsvFiles.ReadAllAsync(path);

        Assert.Equal([typeof(long), typeof(string), typeof(string)], layout.Columns.Select(c => c.ValueType));
        Assert.Equal(
            [
                [1L, "plain", "x"], [2L, "a,b", null], [3L, "say \"hi\"", ""], [4L, "two\nlines", "é 😀 中文"],
                [5L, "crlf\r\ninside", " spaced "], [6L, "", "\""], [7L, null, ","],
            ],
            rows);
        CsvFiles.AssertSameAsDuckDb(layout, rows, await CsvFiles.DuckRowsAsync(path));
    }

    [Fact]
    public async Task A_byte_order_mark_and_CRLF_line_ends_read_as_DuckDB_reads_them()
    {
        var path = PathOf("bom.csv");
        await File.WriteAllBytesAsync(path, [0xEF, 0xBB, 0xBF, .. "id,s\r\n1,\"a\r\nb\"\r\n2,\r\n3,\"\"\r\n4,é\r\n"u8]);

        var (layout, rows) = await CsvFiles.ReadAllAsync(path);

        Assert.Equal(["id", "s"], layout.Columns.Select(c => c.Name));
        Assert.Equal([[1L, "a\r\nb"], [2L, null], [3L, ""], [4L, "é"]], rows);
        Assert.Equal(3 + "id,s\r\n".Length, layout.HeaderBytes); // the byte-order mark is 3 bytes
        CsvFiles.AssertSameAsDuckDb(layout, rows, await CsvFiles.DuckRowsAsync(path));
    }

    [Fact]
    public async Task A_tab_separated_file_reads_with_the_tab_delimiter()
    {
        var path = await DuckWritesAsync("t.tsv", "SELECT range AS id, 'a' || chr(9) || 'b,c' AS s, range / 4 AS x FROM range(10)", "HEADER, DELIMITER '\\t'");

        var (layout, rows) = await CsvFiles.ReadAllAsync(path, '\t');

        Assert.Equal([typeof(long), typeof(string), typeof(double)], layout.Columns.Select(c => c.ValueType));
        Assert.Equal([5L, "a\tb,c", 1.25], rows[5]);
        CsvFiles.AssertSameAsDuckDb(layout, rows, await CsvFiles.DuckRowsAsync(path, '\t'));
    }

    [Fact]
    public async Task A_gzip_file_reads_through_the_decoding_stream()
    {
        var path = await DuckWritesAsync("t.csv.gz", "SELECT range AS id, 'line' || chr(10) || range AS s FROM range(2000)", "HEADER, COMPRESSION gzip");

        await using var describe = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var layout = await CsvTableReader.DescribeAsync(describe, ',', CancellationToken.None);
        await using var decoded = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
        var rows = await CsvFiles.ReadRowsAsync(decoded, ',', layout, atFileStart: true);
        await using var counted = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);

        Assert.Equal(2000, rows.Count);
        Assert.Equal([1999L, "line\n1999"], rows[^1]);
        Assert.Equal(2000, await CsvTableReader.CountRowsAsync(counted, ',', CancellationToken.None));
        CsvFiles.AssertSameAsDuckDb(layout, rows, await CsvFiles.DuckRowsAsync(path));
    }

    [Fact]
    public async Task Types_come_from_the_first_thousand_rows_and_a_later_value_that_does_not_fit_is_read_as_its_text()
    {
        // w has a decimal within the first 1,000 rows (a double column); z has one just after them, and id text further on.
        var path = await DuckWritesAsync("late.csv", """
            SELECT CASE WHEN range = 1200 THEN 'x12' ELSE range::VARCHAR END AS id,
                   CASE WHEN range = 999 THEN '2.5' ELSE range::VARCHAR END AS w,
                   CASE WHEN range = 1000 THEN '3.5' ELSE range::VARCHAR END AS z,
                   CASE WHEN range = 1300 THEN 'maybe' WHEN range % 2 = 0 THEN 'true' ELSE 'FALSE' END AS b
            FROM range(1500)
            """);

        var (layout, rows) = await CsvFiles.ReadAllAsync(path);

        Assert.Equal(1000, CsvTableReader.RowsToType);
        Assert.Equal([typeof(long), typeof(double), typeof(long), typeof(bool)], layout.Columns.Select(c => c.ValueType));
        Assert.Equal([998L, 998.0, 998L, CsvValues.True], rows[998]);
        Assert.Equal([999L, 2.5, 999L, CsvValues.False], rows[999]);
        Assert.Equal([1000L, 1000.0, "3.5", CsvValues.True], rows[1000]);
        Assert.Equal(["x12", 1200.0, 1200L, CsvValues.True], rows[1200]);
        Assert.Equal([1300L, 1300.0, 1300L, "maybe"], rows[1300]);
        Assert.Equal(1500, rows.Count);
        CsvFiles.AssertSameAsDuckDb(layout, rows, await CsvFiles.DuckRowsAsync(path));
    }

    [Fact]
    public async Task Numbers_as_DuckDB_pandas_and_dotnet_write_them_are_numbers()
    {
        var path = PathOf("numbers.csv");
        await File.WriteAllTextAsync(path, "x\n1.5\nnan\ninf\n-inf\nNaN\n-Infinity\n1e+20\n-0\n 7 \n.5\n");

        var (layout, rows) = await CsvFiles.ReadAllAsync(path);

        Assert.Equal(typeof(double), layout.Columns[0].ValueType);
        Assert.Equal([1.5, double.NaN, double.PositiveInfinity, double.NegativeInfinity, double.NaN, double.NegativeInfinity, 1e20, -0.0, 7.0, 0.5], rows.Select(r => (double)r[0]!));
    }

    [Fact]
    public async Task Bytes_that_are_not_UTF8_are_replaced_and_the_rest_is_read()
    {
        var path = PathOf("latin1.csv");
        await File.WriteAllBytesAsync(path, [.. "id,s\n1,caf"u8, 0xE9, .. "\n2,ok\n3,"u8, 0xFF, 0xFE, (byte)'\n']);

        var (_, rows) = await CsvFiles.ReadAllAsync(path);

        Assert.Equal([[1L, "caf\uFFFD"], [2L, "ok"], [3L, "\uFFFD\uFFFD"]], rows);
    }

    [Fact]
    public async Task A_file_with_a_header_and_no_rows_is_an_empty_table()
    {
        var path = await DuckWritesAsync("empty-table.csv", "SELECT 1 AS a, 'x' AS b WHERE false");

        var (layout, rows) = await CsvFiles.ReadAllAsync(path);
        await using var count = File.OpenRead(path);

        Assert.Equal(["a", "b"], layout.Columns.Select(c => c.Name));
        Assert.Equal([typeof(string), typeof(string)], layout.Columns.Select(c => c.ValueType));
        Assert.Empty(rows);
        Assert.Equal(new FileInfo(path).Length, layout.HeaderBytes);
        Assert.Equal(0, await CsvTableReader.CountRowsAsync(count, ',', CancellationToken.None));
        Assert.Empty(await CsvFiles.DuckRowsAsync(path));
    }

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF })]
    [InlineData(new byte[] { (byte)'\n', (byte)'\r', (byte)'\n' })]
    public async Task A_file_without_a_header_is_a_settings_error_naming_it(byte[] content)
    {
        var path = PathOf("nothing.csv");
        await File.WriteAllBytesAsync(path, content);

        var error = await Assert.ThrowsAsync<StorageException>(() => CsvFiles.ReadAllAsync(path));

        Assert.True(error.IsSettingsProblem);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("header", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Blank_lines_are_null_rows_of_a_one_column_table_and_passed_over_in_a_wider_one()
    {
        var one = await DuckWritesAsync("one.csv", "SELECT * FROM (VALUES ('x'), (NULL), (''), ('y'), (NULL)) v(s)");
        var wide = PathOf("wide.csv");
        await File.WriteAllTextAsync(wide, "\n\na,b\n\n1,2\n\n3,4\n\n");

        var (_, oneRows) = await CsvFiles.ReadAllAsync(one);
        var (wideLayout, wideRows) = await CsvFiles.ReadAllAsync(wide);

        Assert.Equal([["x"], [null], [""], ["y"], [null]], oneRows);
        Assert.Equal([[1L, 2L], [3L, 4L]], wideRows);
        Assert.Equal("\n\na,b\n\n".Length, wideLayout.HeaderBytes);
        CsvFiles.AssertSameAsDuckDb(wideLayout, wideRows, await CsvFiles.DuckRowsAsync(wide));
        // DuckDB reads a quoted empty field as null unless told otherwise, and a blank line of one column as null.
        Assert.Equal(5, (long)(await DuckDb.QueryAsync($"SELECT count(*) AS n FROM {CsvFiles.ReadCsv(one)}"))[0]["n"]!);
    }

    [Fact]
    public async Task Empty_and_repeated_header_names_are_named_as_DuckDB_names_them()
    {
        var path = PathOf("names.csv");
        await File.WriteAllTextAsync(path, ",a,a,b,,a_1\n0,1,2,3,4,5\n");

        var (layout, _) = await CsvFiles.ReadAllAsync(path);
        var duck = await DuckDb.QueryAsync($"DESCRIBE SELECT * FROM {CsvFiles.ReadCsv(path)}");

        Assert.Equal(["column0", "a", "a_1", "b", "column4", "a_1_1"], layout.Columns.Select(c => c.Name));
        Assert.Equal(layout.Columns.Take(5).Select(c => c.Name), duck.Take(5).Select(d => (string)d["column_name"]!));
    }

    [Fact]
    public async Task Short_rows_read_nulls_for_their_missing_fields_and_long_rows_drop_their_extra_ones()
    {
        var path = PathOf("ragged.csv");
        await File.WriteAllTextAsync(path, "a,b,c\n1,2,3\n4\n5,6,7,8\n");

        var (_, rows) = await CsvFiles.ReadAllAsync(path);

        Assert.Equal([[1L, 2L, 3L], [4L, null, null], [5L, 6L, 7L]], rows);
    }

    [Fact]
    public async Task The_rows_chosen_columns_come_in_the_order_asked_after_the_rows_skipped()
    {
        var path = await DuckWritesAsync("pick.csv", "SELECT range AS a, 'r' || range AS b, range * 2 AS c FROM range(10)");
        await using var describe = File.OpenRead(path);
        var layout = await CsvTableReader.DescribeAsync(describe, ',', CancellationToken.None);
        await using var stream = File.OpenRead(path);
        await using var reader = CsvTableReader.Open(stream, ',', layout, atFileStart: true);

        var rows = new List<object?[]>();
        await foreach (var row in reader.ReadAsync([2, 0], 7, CancellationToken.None))
        {
            rows.Add([.. row]);
        }

        Assert.Equal([[14L, 7L], [16L, 8L], [18L, 9L]], rows);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => await reader.ReadAsync([0], 0, CancellationToken.None).GetAsyncEnumerator().MoveNextAsync());
    }

    [Fact]
    public async Task Rows_are_counted_as_DuckDB_counts_them_and_read_from_a_stream_that_cannot_seek()
    {
        var path = await DuckWritesAsync("count.csv", """
            SELECT range AS id, CASE WHEN range % 7 = 0 THEN 'a' || chr(10) || chr(10) || 'b' WHEN range % 5 = 0 THEN NULL ELSE '"q",' END AS s
            FROM range(3333)
            """);
        var bytes = await File.ReadAllBytesAsync(path);
        var layout = await CsvTableReader.DescribeAsync(new ForwardOnlyStream(bytes), ',', CancellationToken.None);

        var rows = await CsvFiles.ReadRowsAsync(new ForwardOnlyStream(bytes), ',', layout, atFileStart: true);
        var counted = await CsvTableReader.CountRowsAsync(new ForwardOnlyStream(bytes), ',', CancellationToken.None);

        var duckCount = (long)(await DuckDb.QueryAsync($"SELECT count(*) AS n FROM {CsvFiles.ReadCsv(path)}"))[0]["n"]!;
        Assert.Equal(3333, duckCount);
        Assert.Equal(duckCount, counted);
        Assert.Equal(duckCount, rows.Count);
        Assert.Equal([7L, "a\n\nb"], rows[7]);
    }

    [Fact]
    public async Task A_quote_never_closed_stops_the_reading_naming_the_file_instead_of_holding_the_rest_in_memory()
    {
        // The header, one row, then a quote that is never closed and 80 MiB after it, made as it is read.
        var head = "id,s\n1,ok\n2,\"never closed\n"u8.ToArray();
        var layout = await CsvTableReader.DescribeAsync(new ForwardOnlyStream(head), ',', "s3://bucket/broken.csv", CancellationToken.None);

        var error = await Assert.ThrowsAsync<StorageException>(() => CsvFiles.ReadRowsAsync(new EndlessText(head, 80 << 20), ',', layout, atFileStart: true));

        Assert.True(error.IsSettingsProblem);
        Assert.Contains("s3://bucket/broken.csv", error.Message, StringComparison.Ordinal);
        Assert.Contains("quote that is never closed", error.Message, StringComparison.Ordinal);
    }

    /// <summary><paramref name="head"/> then <paramref name="length"/> bytes of 'x' and line feeds, never all in memory.</summary>
    private sealed class EndlessText(byte[] head, long length) : Stream
    {
        private long _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = (int)Math.Min(count, head.Length + length - _position);
            for (var i = 0; i < n; i++, _position++)
            {
                buffer[offset + i] = _position < head.Length ? head[_position] : _position % 80 == 0 ? (byte)'\n' : (byte)'x';
            }

            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }
    }

    /// <summary>A stream that can only be read forward, as an object's body or a gzip stream: no length, no position.</summary>
    private sealed class ForwardOnlyStream(byte[] bytes) : Stream
    {
        private readonly MemoryStream _inner = new(bytes);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, Math.Min(count, 777));

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override void Flush()
        {
        }
    }
}
