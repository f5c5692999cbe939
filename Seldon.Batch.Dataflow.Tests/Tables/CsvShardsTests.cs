namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>CsvShards.CutAsync on files DuckDB wrote whose quoted fields hold line breaks: the ranges start at row starts
/// (never inside a quoted field), after the header, on multiples of the batch size, and read range by range they give
/// exactly the rows of the whole file, which are DuckDB's rows.</summary>
[Trait("Category", "Integration")]
public sealed class CsvShardsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-csv-shards-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    [Theory]
    [InlineData(4, 7)]
    [InlineData(3, 1)]
    [InlineData(16, 32)]
    public async Task Shards_of_a_file_with_quoted_line_breaks_join_into_the_whole_file(int count, int batchSize)
    {
        // Most of the bytes are inside quoted fields, line breaks included, so even cut points fall inside them.
        var path = PathOf("quoted.csv");
        await DuckDb.ExecAsync($"""
            COPY (SELECT range AS id, repeat('line,"q"' || chr(10), (range % 9)::INT) AS s, CASE WHEN range % 5 = 0 THEN NULL ELSE range * 0.25 END AS x
                  FROM range(1000)) TO {DuckDb.Literal(path)} (HEADER)
            """);
        var bytes = await File.ReadAllBytesAsync(path);
        var (layout, whole) = await CsvFiles.ReadAllAsync(path);

        var ranges = await CsvShards.CutAsync(new MemoryStream(bytes), bytes.Length, layout, count, batchSize, ',', CancellationToken.None);

        var joined = await AssertJoinAsync(bytes, layout, ranges, batchSize);
        Assert.Equal(whole, joined);
        Assert.Equal(1000, joined.Count);
        Assert.True(ranges.Count(r => r.Lines > 0) > 1, "the file was not split");
        CsvFiles.AssertSameAsDuckDb(layout, joined, await CsvFiles.DuckRowsAsync(path));
    }

    [Fact]
    public async Task More_shards_than_rows_give_each_row_one_range_and_the_rest_none()
    {
        var path = PathOf("few.csv");
        await DuckDb.ExecAsync($"COPY (SELECT range AS id FROM range(3)) TO {DuckDb.Literal(path)} (HEADER)");
        var bytes = await File.ReadAllBytesAsync(path);
        var (layout, _) = await CsvFiles.ReadAllAsync(path);

        var ranges = await CsvShards.CutAsync(new MemoryStream(bytes), bytes.Length, layout, 8, 1, ',', CancellationToken.None);

        await AssertJoinAsync(bytes, layout, ranges, 1);
        Assert.Equal(3, ranges.Count(r => r.Lines == 1));
        Assert.Equal(5, ranges.Count(r => r.Lines == 0));
        Assert.Equal(new ShardRange(bytes.Length, bytes.Length, 3, 0), ranges[^1]);
    }

    [Fact]
    public async Task A_file_with_a_header_only_has_empty_ranges()
    {
        var bytes = "a,b\r\n"u8.ToArray();
        var layout = await CsvTableReader.DescribeAsync(new MemoryStream(bytes), ',', CancellationToken.None);

        var ranges = await CsvShards.CutAsync(new MemoryStream(bytes), bytes.Length, layout, 3, 2, ',', CancellationToken.None);

        Assert.All(ranges, r => Assert.Equal(new ShardRange(bytes.Length, bytes.Length, 0, 0), r));
    }

    [Fact]
    public async Task A_shard_starts_at_the_next_micro_batch_after_its_even_cut_point()
    {
        // A header of 4 bytes then ten rows of 4 bytes, two shards: the even cut is row 5, which starts no micro-batch
        // of 4; row 8 does.
        var bytes = System.Text.Encoding.UTF8.GetBytes("id\r\n" + string.Concat(Enumerable.Range(0, 10).Select(i => $"{i}0\r\n")));
        var layout = await CsvTableReader.DescribeAsync(new MemoryStream(bytes), ',', CancellationToken.None);

        var ranges = await CsvShards.CutAsync(new MemoryStream(bytes), bytes.Length, layout, 2, 4, ',', CancellationToken.None);

        Assert.Equal([new ShardRange(4, 36, 0, 8), new ShardRange(36, 44, 8, 2)], ranges);
    }

    [Fact]
    public async Task An_input_whose_length_changed_is_refused()
    {
        var bytes = "a\n1\n2\n"u8.ToArray();
        var layout = await CsvTableReader.DescribeAsync(new MemoryStream(bytes), ',', CancellationToken.None);

        var error = await Assert.ThrowsAsync<StorageException>(() => CsvShards.CutAsync(new MemoryStream(bytes), bytes.Length + 1, layout, 2, 1, ',', CancellationToken.None));

        Assert.False(error.IsSettingsProblem);
        Assert.Contains("did it change", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Asserts the ranges are contiguous from the header's end to the file's end, start on multiples of the batch
    /// size, and hold the rows they say; returns the rows of all ranges read one after the other.</summary>
    internal static async Task<List<object?[]>> AssertJoinAsync(byte[] bytes, CsvLayout layout, IReadOnlyList<ShardRange> ranges, int batchSize)
    {
        var joined = new List<object?[]>();
        var expectedStart = layout.HeaderBytes;
        foreach (var range in ranges)
        {
            Assert.Equal(expectedStart, range.Start);
            Assert.Equal(joined.Count, range.FirstLine);
            Assert.True(range.Lines == 0 || range.FirstLine % batchSize == 0, $"a range starts at row {range.FirstLine}, not a multiple of {batchSize}");
            var rows = await CsvFiles.ReadRowsAsync(new MemoryStream(bytes, (int)range.Start, (int)(range.End - range.Start)), ',', layout, atFileStart: false);
            Assert.Equal(range.Lines, rows.Count);
            joined.AddRange(rows);
            expectedStart = range.End;
        }

        Assert.Equal(bytes.Length, expectedStart);
        await using var count = new MemoryStream(bytes);
        Assert.Equal(await CsvTableReader.CountRowsAsync(count, ',', CancellationToken.None), joined.Count);
        return joined;
    }
}
