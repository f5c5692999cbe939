using Parquet.Schema;
using static Seldon.Batch.Dataflow.Tests.Tables.ParquetFiles;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The Parquet writer: every value type round-trips with its nulls, in bounded row groups, to the project's
/// forward-only upload stream; the columns of a Parquet input keep their exact Parquet types; what Parquet cannot hold
/// is refused naming the column.</summary>
public sealed class ParquetTableWriterTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-parquet-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static readonly TableColumn[] EveryType =
    [
        new("double", typeof(double)), new("float", typeof(float)), new("long", typeof(long)), new("int", typeof(int)),
        new("short", typeof(short)), new("sbyte", typeof(sbyte)), new("ulong", typeof(ulong)), new("uint", typeof(uint)),
        new("ushort", typeof(ushort)), new("byte", typeof(byte)), new("bool", typeof(bool)), new("string", typeof(string)),
        new("decimal", typeof(decimal)), new("timestamp", typeof(DateTime)), new("date", typeof(DateOnly)), new("time", typeof(TimeSpan)),
        new("bytes", typeof(byte[])), new("doubles", typeof(object[])), new("strings", typeof(object[])), new("bools", typeof(object[])),
        new("t:0", typeof(double)), new("error", typeof(string)),
    ];

    /// <summary>Row i of a table of every type: a null in column i % k, the others values that vary with i.</summary>
    private static object?[] EveryTypeRow(int i)
    {
        object?[] row =
        [
            i + 0.25, (float)i / 2, (long)i << 40, -i, (short)i, (sbyte)-i, ulong.MaxValue - (ulong)i, (uint)i * 1000, (ushort)i, (byte)i,
            i % 3 == 0, $"row {i} é\n\"", i + 0.125m, new DateTime(2024, 1, 2, 3, 4, 5, DateTimeKind.Unspecified).AddTicks(i * 10),
            new DateOnly(2024, 1, 1).AddDays(i), TimeSpan.FromMilliseconds(i * 1001), new[] { (byte)i, (byte)0 },
            new object?[] { i * 1.5, null, -1e300 }, i % 4 == 0 ? Array.Empty<object?>() : new object?[] { $"s{i}", null }, new object?[] { true, false, null },
            i * 0.5, i % 5 == 0 ? $"failed {i}" : null,
        ];
        row[i % row.Length] = null;
        return row;
    }

    [Fact]
    public async Task Every_value_type_round_trips_with_nulls_in_row_groups_of_the_size_asked()
    {
        var path = Path.Combine(_dir.FullName, "every.parquet");
        var rows = Enumerable.Range(0, 50).Select(EveryTypeRow).ToList();
        await using (var output = File.Create(path))
        {
            await using var writer = ParquetTableWriter.Create(output, EveryType, rowGroupRows: 16);
            foreach (var row in rows)
            {
                await writer.WriteAsync(row, default);
            }

            await writer.CompleteAsync(default);
        }

        await using var reader = await ParquetTableReader.OpenAsync(Open(path), 0, null, default);
        Assert.Equal([16L, 16L, 16L, 2L], reader.RowGroupRows);
        Assert.Equal(EveryType.Select(c => (c.Name, c.ValueType)), reader.Columns.Select(c => (c.Name, c.ValueType)));
        TableValues.SameRows(rows, await RowsAsync(reader), [.. EveryType.Select(c => c.Name)]);
    }

    [Fact]
    public async Task Columns_with_no_Parquet_type_of_their_own_get_the_usual_ones()
    {
        var path = Path.Combine(_dir.FullName, "types.parquet");
        await WriteAsync(path, EveryType, [EveryTypeRow(1)]);

        await using var reader = await ParquetTableReader.OpenAsync(Open(path), 0, null, default);
        var fields = reader.Columns.ToDictionary(c => c.Name, c => c.Native);
        Assert.Equal(typeof(double), Assert.IsType<DataField>(fields["double"]).ClrType);
        Assert.Equal(typeof(long), Assert.IsType<DataField>(fields["long"]).ClrType);
        Assert.Equal(typeof(bool), Assert.IsType<DataField>(fields["bool"]).ClrType);
        Assert.Equal(Parquet.Meta.ConvertedType.UTF8, Assert.IsType<DataField>(fields["string"]).SchemaElement!.ConvertedType);
        var timestamp = Assert.IsType<DateTimeDataField>(fields["timestamp"]);
        Assert.Equal((DateTimeFormat.Timestamp, false, DateTimeTimeUnit.Micros), (timestamp.DateTimeFormat, timestamp.IsAdjustedToUTC, timestamp.Unit));
        // A time of day, no zone (DuckDB reads TIME, not TIME WITH TIME ZONE).
        Assert.False(Assert.IsType<TimeDataField>(fields["time"]).IsAdjustedToUtc);
        Assert.Equal(typeof(double), Assert.IsType<DataField>(Assert.IsType<ListField>(fields["doubles"]).Item).ClrType);
        Assert.Equal(typeof(bool), Assert.IsType<DataField>(Assert.IsType<ListField>(fields["bools"]).Item).ClrType);
        Assert.All(reader.Columns, c => Assert.True(c.Native is ListField || ((DataField)c.Native!).IsNullable, $"{c.Name} is nullable"));
    }

    [Theory]
    [InlineData("duckdb-types-v1-snappy.parquet")]
    [InlineData("duckdb-types-v2-zstd.parquet")]
    public async Task Columns_of_a_Parquet_input_keep_their_exact_types_and_values(string file)
    {
        IReadOnlyList<TableColumn> columns;
        List<object?[]> rows;
        await using (var input = await ParquetTableReader.OpenAsync(Open(Fixture(file)), 0, null, default))
        {
            var kept = input.Columns.Select((c, i) => (c, i)).Where(x => x.c.ValueType != typeof(object)).ToList();
            columns = [.. kept.Select(x => x.c)];
            rows = await RowsAsync(input, [.. kept.Select(x => x.i)]);
        }

        var path = Path.Combine(_dir.FullName, "kept.parquet");
        await WriteAsync(path, columns, rows);

        await using var reader = await ParquetTableReader.OpenAsync(Open(path), 0, null, default);
        TableValues.SameRows(rows, await RowsAsync(reader), [.. columns.Select(c => c.Name)]);
        // JSON is written as STRING: Parquet.Net writes no JSON annotation (the value stays the same text).
        foreach (var (written, original) in reader.Columns.Zip(columns).Where(c => c.First.Name != "js"))
        {
            Assert.Equal(original.ValueType, written.ValueType);
            var (w, o) = (Leaf(written), Leaf(original));
            Assert.True(
                (w.SchemaElement!.Type, w.ClrType, w.GetType()) == (o.SchemaElement!.Type, o.ClrType, o.GetType()),
                $"{original.Name}: {o.SchemaElement.Type} {o.ClrType} {o.GetType().Name} became {w.SchemaElement.Type} {w.ClrType} {w.GetType().Name}");
        }

        var fields = reader.Columns.ToDictionary(c => c.Name, c => Leaf(c));
        Assert.Equal((9, 2), (((DecimalDataField)fields["dec9"]).Precision, ((DecimalDataField)fields["dec9"]).Scale));
        Assert.Equal((38, 10), (((DecimalDataField)fields["dec38"]).Precision, ((DecimalDataField)fields["dec38"]).Scale));
        Assert.Equal((false, DateTimeTimeUnit.Nanos), (((DateTimeDataField)fields["ts_ns"]).IsAdjustedToUTC, ((DateTimeDataField)fields["ts_ns"]).Unit));
        Assert.True(((DateTimeDataField)fields["tstz"]).IsAdjustedToUTC);
        Assert.Equal(TimeUnitPrecision.Micros, ((TimeDataField)fields["t"]).Precision);
        Assert.NotNull(fields["uuid"].SchemaElement!.LogicalType?.UUID);
    }

    private static DataField Leaf(TableColumn column) => column.Native switch
    {
        ListField list => (DataField)list.Item,
        DataField field => field,
        _ => throw new Xunit.Sdk.XunitException($"{column.Name} has no field"),
    };

    [Theory]
    [InlineData("st", "a struct")]
    [InlineData("mp", "a map")]
    public async Task A_struct_or_map_column_is_refused_naming_it(string column, string what)
    {
        await using var input = await ParquetTableReader.OpenAsync(Open(Fixture("duckdb-types-v1-snappy.parquet")), 0, null, default);
        var columns = input.Columns.Where(c => c.Name is "id" || c.Name == column).ToList();

        var error = Assert.Throws<StorageException>(() => ParquetTableWriter.EnsureWritable(columns, "s3://bucket/scored.parquet"));
        var created = await Assert.ThrowsAsync<StorageException>(() => ParquetTableWriter.CreateAsync(Stream.Null, columns, default));

        Assert.True(error.IsSettingsProblem);
        Assert.Equal(
            $"s3://bucket/scored.parquet: the input column '{column}' is {what}, which this processor does not copy into a table: leave it out of BatchOptions.KeepColumns",
            error.Message);
        Assert.Contains($"'{column}' is {what}", created.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_columns_of_one_name_are_refused()
    {
        var error = Assert.Throws<StorageException>(() => ParquetTableWriter.EnsureWritable([new("a", typeof(long)), new("a", typeof(double))], "out.parquet"));

        Assert.True(error.IsSettingsProblem);
        Assert.Contains("'a'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task It_writes_to_the_forward_only_multipart_upload_stream()
    {
        var parts = new List<byte[]>();
        var upload = new MultipartWriteStream(16 * 1024, 0, (part, _, _) =>
        {
            parts.Add(part);
            return Task.CompletedTask;
        });
        var rows = Enumerable.Range(0, 3000).Select(EveryTypeRow).ToList();
        await using (var writer = await ParquetTableWriter.CreateAsync(upload, EveryType, default))
        {
            foreach (var row in rows)
            {
                await writer.WriteAsync(row, default);
            }

            await writer.CompleteAsync(default);
        }

        parts.Add(await upload.FinishAsync());
        Assert.True(parts.Count > 2, $"{parts.Count} parts");
        var path = Path.Combine(_dir.FullName, "uploaded.parquet");
        await File.WriteAllBytesAsync(path, [.. parts.SelectMany(p => p)]);
        await using var reader = await ParquetTableReader.OpenAsync(Open(path), 0, null, default);
        TableValues.SameRows(rows, await RowsAsync(reader), [.. EveryType.Select(c => c.Name)]);
    }

    [Fact]
    public async Task A_row_group_of_large_values_is_written_before_it_has_its_rows()
    {
        var path = Path.Combine(_dir.FullName, "large.parquet");
        var text = new string('x', 100_000);
        await WriteAsync(path, [new("id", typeof(long)), new("text", typeof(string))], Enumerable.Range(0, 200).Select(i => new object?[] { (long)i, text }));

        await using var reader = await ParquetTableReader.OpenAsync(Open(path), 0, null, default);
        // About 16 MiB of text (200 KB a row) per row group, far fewer than its 16 Ki rows.
        Assert.True(reader.RowGroupRows.Count >= 2 && reader.RowGroupRows.All(rows => rows <= 100), string.Join(", ", reader.RowGroupRows));
        Assert.Equal(200, reader.RowCount);
        Assert.All(await RowsAsync(reader), row => Assert.Equal(text, row[1]));
    }

    [Fact]
    public async Task A_table_of_no_rows_is_a_Parquet_file_with_its_columns()
    {
        var path = Path.Combine(_dir.FullName, "empty.parquet");
        await WriteAsync(path, EveryType, []);

        await using var reader = await ParquetTableReader.OpenAsync(Open(path), 0, null, default);
        Assert.Equal(0, reader.RowCount);
        Assert.Equal(EveryType.Select(c => c.Name), reader.Columns.Select(c => c.Name));
        Assert.Empty(await RowsAsync(reader));
    }

    [Fact]
    public async Task A_writer_disposed_before_it_completes_writes_no_footer()
    {
        var path = Path.Combine(_dir.FullName, "stopped.parquet");
        await using (var output = File.Create(path))
        {
            await using var writer = ParquetTableWriter.Create(output, EveryType, rowGroupRows: 4);
            for (var i = 0; i < 10; i++)
            {
                await writer.WriteAsync(EveryTypeRow(i), default);
            }
        }

        var error = await Assert.ThrowsAsync<StorageException>(() => ParquetTableReader.OpenAsync(Open(path), 0, null, default));
        Assert.Contains("not a Parquet file", error.Message, StringComparison.Ordinal);
    }

    private static async Task WriteAsync(string path, IReadOnlyList<TableColumn> columns, IEnumerable<object?[]> rows)
    {
        await using var output = File.Create(path);
        await using var writer = await ParquetTableWriter.CreateAsync(output, columns, default);
        foreach (var row in rows)
        {
            await writer.WriteAsync(row, default);
        }

        await writer.CompleteAsync(default);
    }
}
