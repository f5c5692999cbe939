using Amazon.Runtime;
using Amazon.S3.Model;
using Seldon.Batch.Dataflow.Tests.Storage;
using static Seldon.Batch.Dataflow.Tests.Tables.ParquetFiles;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>A Parquet input in an object store (a real moto_server), read through the seekable ranged stream: the GETs
/// the SDK sends are counted, so a file is shown to be fetched once (not twice), a row group's chunks in one GET, and
/// only what a row range and the columns asked for need; every GET pinned to the version the run described.</summary>
[Trait("Category", "Integration")]
public sealed class ParquetObjectInputTests : IClassFixture<MotoServerFixture>, IDisposable
{
    private const int Rows = 200_000;
    private const int GroupRows = 40_000;

    private static readonly TableColumn[] Columns = [new("id", typeof(long)), new("x", typeof(double)), new("s", typeof(string))];

    private readonly MotoServerFixture _s3;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-parquet-s3-");

    public ParquetObjectInputTests(MotoServerFixture s3) => _s3 = s3;

    public void Dispose() => _dir.Delete(recursive: true);

    private static object?[] Row(long i) => [i, i * 0.5, i % 10 == 0 ? null : $"value {i}"];

    /// <summary>A table of <see cref="Rows"/> rows in row groups of <see cref="GroupRows"/>, put as an object.</summary>
    private async Task<(string Url, long Length, string Path)> PutTableAsync()
    {
        var path = Path.Combine(_dir.FullName, "table.parquet");
        await using (var file = File.Create(path))
        {
            await using var writer = ParquetTableWriter.Create(file, Columns, GroupRows);
            for (long i = 0; i < Rows; i++)
            {
                await writer.WriteAsync(Row(i), default);
            }

            await writer.CompleteAsync(default);
        }

        var bucket = await _s3.NewBucketAsync();
        var bytes = await File.ReadAllBytesAsync(path);
        await _s3.PutAsync(bucket, "in/table.parquet", bytes);
        return ($"s3://{bucket}/in/table.parquet", bytes.Length, path);
    }

    /// <summary>The ranged GETs a store's client sends: each range and the ETag it requires.</summary>
    private static List<(long Start, long End, string? ETag)> RecordGets(ObjectStore store)
    {
        var gets = new List<(long, long, string?)>();
        ((AmazonServiceClient)store.Client).BeforeRequestEvent += (_, e) =>
        {
            if (e is WebServiceRequestEventArgs { Request: GetObjectRequest get })
            {
                lock (gets)
                {
                    gets.Add((get.ByteRange.Start, get.ByteRange.End + 1, get.EtagToMatch));
                }
            }
        };
        return gets;
    }

    private async Task<(List<object?[]> Rows, List<(long Start, long End, string? ETag)> Gets, InputVersion Version)> ReadAsync(
        string url, StorageTuning? tuning, long first, long? end, string[] columns)
    {
        using var store = new ObjectStore(_s3.Endpoint, tuning: tuning);
        var gets = RecordGets(store);
        var input = InputSource.Create(StorageLocation.Parse(url), InputCompression.Auto, store);
        var version = await input.DescribeAsync(default);
        await using var reader = await ParquetTableReader.OpenAsync(await input.OpenSeekableAsync(version, default), first, end, default);
        var rows = await RowsAsync(reader, [.. columns.Select(c => IndexOf(reader, c))]);
        return (rows, gets, version);
    }

    /// <summary>The bytes fetched more than once.</summary>
    private static long Overlap(List<(long Start, long End, string? ETag)> gets)
    {
        long overlap = 0;
        var sorted = gets.OrderBy(g => g.Start).ToList();
        var reached = 0L;
        foreach (var (start, end, _) in sorted)
        {
            overlap += Math.Max(0, Math.Min(end, reached) - start);
            reached = Math.Max(reached, end);
        }

        return overlap;
    }

    [Fact]
    public async Task An_object_is_fetched_once_a_row_group_in_one_GET_each_GET_pinned_to_its_version()
    {
        var (url, length, _) = await PutTableAsync();

        var (rows, gets, version) = await ReadAsync(url, tuning: null, 0, null, ["id", "x", "s"]);

        TableValues.SameRows([.. Enumerable.Range(0, Rows).Select(i => Row(i))], rows, ["id", "x", "s"]);
        Assert.All(gets, g => Assert.Equal(version.Tag, g.ETag));
        // The footer, the head (Parquet.Net checks its magic), then one GET per row group.
        Assert.True(gets.Count <= 2 + (Rows / GroupRows), $"{gets.Count} GETs: {string.Join(", ", gets.Select(g => $"[{g.Start}, {g.End})"))}");
        Assert.True(gets.Sum(g => g.End - g.Start) <= length + (64 << 10), $"{gets.Sum(g => g.End - g.Start)} bytes fetched of {length}");
        Assert.True(Overlap(gets) <= 64 << 10, $"{Overlap(gets)} bytes fetched twice");
    }

    [Fact]
    public async Task With_small_GETs_the_object_is_still_fetched_once()
    {
        var (url, length, _) = await PutTableAsync();

        var (rows, gets, _) = await ReadAsync(url, new StorageTuning { ReadChunkBytes = 100_000 }, 0, null, ["id", "x", "s"]);

        TableValues.SameRows([.. Enumerable.Range(0, Rows).Select(i => Row(i))], rows, ["id", "x", "s"]);
        Assert.All(gets, g => Assert.True(g.End - g.Start <= 100_000));
        Assert.True(gets.Sum(g => g.End - g.Start) <= length + (64 << 10), $"{gets.Sum(g => g.End - g.Start)} bytes fetched of {length}");
        Assert.True(Overlap(gets) <= 64 << 10, $"{Overlap(gets)} bytes fetched twice");
    }

    [Fact]
    public async Task Only_the_row_groups_of_the_range_and_the_columns_asked_for_are_fetched()
    {
        var (url, length, path) = await PutTableAsync();

        var (rows, gets, _) = await ReadAsync(url, tuning: null, Rows - GroupRows - 10, Rows - 5, ["id"]);

        TableValues.SameRows([.. Enumerable.Range(Rows - GroupRows - 10, GroupRows + 5).Select(i => new[] { Row(i)[0] })], rows, ["id"]);
        // The id chunks of the last two row groups, the head and the footer (64 KiB each): nothing of the other columns
        // or of the first three row groups.
        await using var file = await Parquet.ParquetReader.CreateAsync(Open(path), leaveStreamOpen: false);
        var idChunks = file.Metadata!.RowGroups.Skip(3).Sum(g => g.Columns[0].MetaData!.TotalCompressedSize);
        var fetched = gets.Sum(g => g.End - g.Start);
        Assert.True(fetched <= idChunks + (128 << 10), $"{fetched} bytes fetched of {length}, where the id chunks asked for are {idChunks}");
    }

    [Fact]
    public async Task An_object_replaced_after_the_run_described_it_fails_the_read()
    {
        var (url, _, _) = await PutTableAsync();
        using var store = new ObjectStore(_s3.Endpoint);
        var location = StorageLocation.Parse(url);
        var input = InputSource.Create(location, InputCompression.Auto, store);
        var version = await input.DescribeAsync(default);

        await _s3.PutAsync(location.Bucket!, location.Key!, await File.ReadAllBytesAsync(Fixture("duckdb-row-groups-v1.parquet")));
        var error = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            await using var reader = await ParquetTableReader.OpenAsync(await input.OpenSeekableAsync(version, default), 0, null, default);
        });

        Assert.False(error.IsSettingsProblem);
        Assert.Contains($"{url} changed while it was read", error.Message, StringComparison.Ordinal);
    }
}
