using System.Text;
using Parquet.Schema;
using static Seldon.Batch.Dataflow.Tests.Tables.ParquetFiles;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The Parquet reader on files DuckDB wrote (Fixtures/parquet-fixtures.sql): every type a table may hold, in
/// DuckDB's default pages (v1, snappy, dictionaries) and in Parquet v2 pages with zstd (delta-encoded integers, dates,
/// timestamps and decimals, which Parquet.Net's own conversions cannot decode); several row groups, row ranges across
/// their borders, skips; inputs that are not Parquet.</summary>
public sealed class ParquetTableReaderTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-parquet-");

    public void Dispose() => _dir.Delete(recursive: true);

    /// <summary>The columns of the types table (its struct and map aside) and the values DuckDB was given.</summary>
    private static readonly string[] TypeColumns =
    [
        "id", "i8", "i16", "i32", "i64", "u8", "u32", "u64", "f32", "f64", "dec9", "dec18", "dec38", "ts", "tstz", "ts_ms", "ts_ns",
        "d", "t", "b", "s", "bin", "uuid", "int_list", "str_list", "dbl_list", "date_list", "js", "en",
    ];

    private static readonly object?[][] TypeRows =
    [
        [
            0, (sbyte)1, (short)300, 7, 9007199254740993L, (byte)200, 4000000000u, ulong.MaxValue, 1.5f, 0.1, 12.34m, 123456.7891m,
            1234567890123456789.0123456789m, new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Unspecified).AddTicks(1234560),
            new DateTime(2024, 1, 2, 3, 4, 5, 500, DateTimeKind.Utc), new DateTime(2024, 1, 2, 3, 4, 5, 123, DateTimeKind.Unspecified),
            new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Unspecified).AddTicks(1234567), new DateOnly(2024, 1, 2),
            new TimeSpan(0, 12, 34, 56, 789), true, "text", "ab"u8.ToArray(), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11",
            new object?[] { 1, 2, 3 }, new object?[] { "a", "b" }, new object?[] { 0.5, null }, new object?[] { new DateOnly(2024, 1, 2) },
            "{\"j\": 1}", "happy",
        ],
        [1, .. Enumerable.Repeat<object?>(null, TypeColumns.Length - 1)],
        [
            2, (sbyte)-128, (short)-32768, int.MinValue, long.MinValue, (byte)0, 0u, 0ul, float.NaN, double.NegativeInfinity, -0.01m,
            -99999999999999.9999m, 0.0000000001m, new DateTime(1969, 12, 31, 23, 59, 59, DateTimeKind.Unspecified).AddTicks(9999990),
            new DateTime(1970, 1, 1, 0, 0, 0, DateTimeKind.Utc), new DateTime(1900, 1, 1, 0, 0, 0, DateTimeKind.Unspecified),
            // One nanosecond before 1970, rounded down to the 100 ns a DateTime holds.
            new DateTime(1969, 12, 31, 23, 59, 59, DateTimeKind.Unspecified).AddTicks(9999999), new DateOnly(1, 1, 1), TimeSpan.Zero, false, "",
            Array.Empty<byte>(), "00000000-0000-0000-0000-000000000000", Array.Empty<object?>(), new object?[] { null, "c" },
            Array.Empty<object?>(), new object?[] { null }, "null", "sad",
        ],
        [
            3, (sbyte)127, (short)32767, int.MaxValue, long.MaxValue, (byte)255, uint.MaxValue, 0ul, 3.4028235e38f, 1e300, 9999999.99m,
            0.0000m, -1.0000000000m, new DateTime(9999, 12, 31, 23, 59, 59, DateTimeKind.Unspecified),
            new DateTime(2262, 4, 11, 23, 47, 16, DateTimeKind.Utc), new DateTime(2000, 2, 29, 12, 0, 0, DateTimeKind.Unspecified),
            new DateTime(2200, 1, 1, 0, 0, 0, DateTimeKind.Unspecified), new DateOnly(9999, 12, 31), new TimeSpan(0, 23, 59, 59).Add(TimeSpan.FromTicks(9999990)),
            null, "é\"quoted\",\nnew line", new byte[] { 0xFF, 0x00 }, null, new object?[] { null, 5 }, null, new object?[] { 1e-300 }, null, null, null,
        ],
    ];

    [Theory]
    [InlineData("duckdb-types-v1-snappy.parquet")]
    [InlineData("duckdb-types-v2-zstd.parquet")]
    public async Task Every_type_DuckDB_writes_reads_as_the_value_it_was_given_nulls_included(string file)
    {
        var rows = await RowsAsync(Fixture(file), TypeColumns);

        TableValues.SameRows(TypeRows, rows, TypeColumns);
        // Decimals keep the scale of their column, as DuckDB prints them.
        Assert.Equal(["12.34", "-0.01", "9999999.99"], Decimals(rows, "dec9"));
        Assert.Equal(["123456.7891", "-99999999999999.9999", "0.0000"], Decimals(rows, "dec18"));
        Assert.Equal(["1234567890123456789.0123456789", "0.0000000001", "-1.0000000000"], Decimals(rows, "dec38"));
    }

    private static string[] Decimals(List<object?[]> rows, string column) =>
        [.. rows.Select(r => r[Array.IndexOf(TypeColumns, column)]).OfType<decimal>().Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    [Fact]
    public async Task Columns_have_the_value_types_of_their_Parquet_types_and_keep_their_fields()
    {
        await using var reader = await ParquetTableReader.OpenAsync(Open(Fixture("duckdb-types-v2-zstd.parquet")), 0, null, CancellationToken.None);

        var types = reader.Columns.ToDictionary(c => c.Name, c => c.ValueType);
        Assert.Equal(typeof(int), types["id"]);
        Assert.Equal(typeof(sbyte), types["i8"]);
        Assert.Equal(typeof(ulong), types["u64"]);
        Assert.Equal(typeof(decimal), types["dec18"]);
        Assert.Equal(typeof(DateTime), types["tstz"]);
        Assert.Equal(typeof(DateOnly), types["d"]);
        Assert.Equal(typeof(TimeSpan), types["t"]);
        Assert.Equal(typeof(string), types["uuid"]);
        Assert.Equal(typeof(byte[]), types["bin"]);
        Assert.Equal(typeof(object[]), types["int_list"]);
        Assert.Equal(typeof(string), types["js"]);
        // A struct and a map are described, not read.
        Assert.Equal(typeof(object), types["st"]);
        Assert.Equal(typeof(object), types["mp"]);
        Assert.IsType<StructField>(reader.Columns.Single(c => c.Name == "st").Native);
        var ts = Assert.IsType<DateTimeDataField>(reader.Columns.Single(c => c.Name == "ts").Native);
        Assert.False(ts.IsAdjustedToUTC);
        Assert.IsType<ListField>(reader.Columns.Single(c => c.Name == "date_list").Native);
        Assert.Equal(4, reader.RowCount);
        Assert.Equal([4L], reader.RowGroupRows);
    }

    [Theory]
    [InlineData("st", "a struct")]
    [InlineData("mp", "a map")]
    public async Task Reading_a_struct_or_a_map_fails_naming_the_file_and_the_column(string column, string what)
    {
        var path = Fixture("duckdb-types-v1-snappy.parquet");

        var error = await Assert.ThrowsAsync<StorageException>(() => RowsAsync(path, ["id", column]));

        Assert.True(error.IsSettingsProblem);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains($"'{column}' is {what}", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Row i of the grouped table, as DuckDB was told to write it (Fixtures/parquet-fixtures.sql).</summary>
    private static object?[] GroupedRow(long i) =>
        [i, i / 4.0, i % 7 == 0 ? null : $"row {i}", i % 2 == 0, $"key {i % 5}", new DateTime(2024, 1, 1, 0, 0, 0, DateTimeKind.Unspecified).AddSeconds(i)];

    private static readonly string[] GroupedColumns = ["id", "x", "s", "flag", "k", "at"];

    public static TheoryData<string, long, long?, long> Ranges => new()
    {
        { "duckdb-row-groups-v1.parquet", 0, null, 0 },
        { "duckdb-row-groups-v2.parquet", 0, null, 0 },
        // Across the first border (2,048), within one group, ending on a border, over all three.
        { "duckdb-row-groups-v2.parquet", 2000, 2100, 0 },
        { "duckdb-row-groups-v1.parquet", 2048, 4096, 0 },
        { "duckdb-row-groups-v2.parquet", 100, 4990, 0 },
        { "duckdb-row-groups-v1.parquet", 4095, 4097, 0 },
        // Skips: into the next group, to the very end, past the range.
        { "duckdb-row-groups-v2.parquet", 1000, 4500, 1500 },
        { "duckdb-row-groups-v1.parquet", 0, null, 4999 },
        { "duckdb-row-groups-v2.parquet", 10, 20, 50 },
        { "duckdb-row-groups-v1.parquet", 5000, null, 0 },
    };

    [Theory]
    [MemberData(nameof(Ranges))]
    public async Task A_row_range_reads_exactly_its_rows_across_row_group_borders(string file, long first, long? end, long skip)
    {
        await using var reader = await ParquetTableReader.OpenAsync(Open(Fixture(file)), first, end, CancellationToken.None);

        var rows = await RowsAsync(reader, [.. GroupedColumns.Select(c => IndexOf(reader, c))], skip);

        Assert.Equal([2048L, 2048L, 904L], reader.RowGroupRows);
        Assert.Equal(5000, reader.RowCount);
        var from = Math.Min(first + skip, end ?? 5000);
        TableValues.SameRows([.. Enumerable.Range((int)from, (int)((end ?? 5000) - from)).Select(i => GroupedRow(i))], rows, GroupedColumns);
    }

    [Fact]
    public async Task Columns_come_in_the_order_asked_a_column_asked_twice_comes_twice()
    {
        await using var reader = await ParquetTableReader.OpenAsync(Open(Fixture("duckdb-row-groups-v1.parquet")), 0, 3, CancellationToken.None);

        var rows = await RowsAsync(reader, [IndexOf(reader, "s"), IndexOf(reader, "id"), IndexOf(reader, "s")]);

        TableValues.SameRows([[null, 0L, null], ["row 1", 1L, "row 1"], ["row 2", 2L, "row 2"]], rows, ["s", "id", "s"]);
    }

    [Fact]
    public async Task Skipped_row_groups_and_columns_not_asked_for_are_not_read()
    {
        var path = Fixture("duckdb-row-groups-v1.parquet");
        var recorded = new RecordingStream(Open(path));

        await using (var reader = await ParquetTableReader.OpenAsync(recorded, 4096, null, CancellationToken.None))
        {
            recorded.Reads.Clear();
            var rows = await RowsAsync(reader, [IndexOf(reader, "id")]);
            Assert.Equal(904, rows.Count);
        }

        // Only the id chunk of the last row group was read; DuckDB writes the chunks of a row group in column order.
        await using var file = await Parquet.ParquetReader.CreateAsync(Open(path), leaveStreamOpen: false);
        var id = file.Metadata!.RowGroups[2].Columns[0].MetaData!;
        var idStart = id.DictionaryPageOffset is > 0 and var d ? Math.Min(d, id.DataPageOffset) : id.DataPageOffset;
        Assert.NotEmpty(recorded.Reads);
        Assert.All(recorded.Reads, read => Assert.True(
            read.Start >= idStart && read.End <= idStart + id.TotalCompressedSize,
            $"read [{read.Start}, {read.End}) outside the id chunk of row group 2 [{idStart}, {idStart + id.TotalCompressedSize})"));
    }

    [Fact]
    public async Task A_reader_reads_its_rows_once()
    {
        await using var reader = await ParquetTableReader.OpenAsync(Open(Fixture("duckdb-row-groups-v1.parquet")), 0, 10, CancellationToken.None);
        await RowsAsync(reader, [0]);

        await Assert.ThrowsAsync<InvalidOperationException>(() => RowsAsync(reader, [0]));
    }

    public static TheoryData<string, string> NotParquet => new()
    {
        { "a JSON lines file", "not a Parquet file" },
        { "five bytes", "not a Parquet file" },
        { "a Parquet file cut short", "not a Parquet file" },
        { "a Parquet file with its footer's length damaged", "damaged" },
        { "a Parquet file whose footer is garbage", "not a Parquet file that can be read" },
    };

    [Theory]
    [MemberData(nameof(NotParquet))]
    public async Task An_input_that_is_not_Parquet_fails_as_a_setting_naming_the_file_and_what_is_wrong(string what, string said)
    {
        var parquet = await File.ReadAllBytesAsync(Fixture("duckdb-row-groups-v1.parquet"));
        var bytes = what switch
        {
            "a JSON lines file" => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 100).Select(i => $"[[{i}, 1]]\n"))),
            "five bytes" => "PAR1x"u8.ToArray(),
            "a Parquet file cut short" => parquet[..^100],
            "a Parquet file with its footer's length damaged" => [.. parquet[..^8], 0xFF, 0xFF, 0xFF, 0x7F, .. "PAR1"u8],
            _ => Garbled(parquet),
        };
        var path = Path.Combine(_dir.FullName, "input.parquet");
        await File.WriteAllBytesAsync(path, bytes);

        var error = await Assert.ThrowsAsync<StorageException>(() => ParquetTableReader.OpenAsync(Open(path), 0, null, CancellationToken.None));

        Assert.True(error.IsSettingsProblem);
        Assert.StartsWith(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(said, error.Message, StringComparison.Ordinal);
    }

    /// <summary>The file with its footer's bytes (all but its length and magic) overwritten.</summary>
    private static byte[] Garbled(byte[] parquet)
    {
        var bytes = (byte[])parquet.Clone();
        var footer = BitConverter.ToInt32(bytes, bytes.Length - 8);
        Array.Fill(bytes, (byte)0xEE, bytes.Length - 8 - footer, footer);
        return bytes;
    }

    [Fact]
    public async Task A_local_input_opens_seekable_and_a_gzip_one_is_refused()
    {
        var path = Path.Combine(_dir.FullName, "table.parquet");
        File.Copy(Fixture("duckdb-row-groups-v2.parquet"), path);
        using var store = new ObjectStore(null);
        var local = InputSource.Create(StorageLocation.Parse(path), InputCompression.Auto, store);

        await using (var reader = await ParquetTableReader.OpenAsync(await local.OpenSeekableAsync(await local.DescribeAsync(default), default), 4990, null, default))
        {
            TableValues.SameRows([.. Enumerable.Range(4990, 10).Select(i => GroupedRow(i))], await RowsAsync(reader, [.. Enumerable.Range(0, 6)]), GroupedColumns);
        }

        var gzip = InputSource.Create(StorageLocation.Parse(path + ".gz"), InputCompression.Auto, store);
        var error = await Assert.ThrowsAsync<StorageException>(() => gzip.OpenSeekableAsync(new InputVersion(1, "x"), default));
        Assert.True(error.IsSettingsProblem);
        Assert.Equal($"{path}.gz: a Parquet input cannot be gzip (Parquet compresses inside the file): give the .parquet file", error.Message);
    }

    /// <summary>A seekable stream that records the byte ranges read through it.</summary>
    private sealed class RecordingStream(Stream inner) : Stream
    {
        public List<(long Start, long End)> Reads { get; } = [];

        public override bool CanRead => true;

        public override bool CanSeek => true;

        public override bool CanWrite => false;

        public override long Length => inner.Length;

        public override long Position { get => inner.Position; set => inner.Position = value; }

        public override int Read(byte[] buffer, int offset, int count) => Record(inner.Position, inner.Read(buffer, offset, count));

        public override int Read(Span<byte> buffer) => Record(inner.Position, inner.Read(buffer));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var at = inner.Position;
            return Record(at, await inner.ReadAsync(buffer, cancellationToken));
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int ReadByte()
        {
            var at = inner.Position;
            var b = inner.ReadByte();
            Record(at, b < 0 ? 0 : 1);
            return b;
        }

        private int Record(long at, int n)
        {
            if (n > 0)
            {
                Reads.Add((at, at + n));
            }

            return n;
        }

        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);

        public override void Flush()
        {
        }

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
