using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Amazon.S3.Model;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Storage;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>A table output in an S3-compatible store (moto_server): the records are the object
/// <c>&lt;key&gt;.records.jsonl</c>, written as any object output; the table is a multipart upload of its own, completed
/// only once it is whole, and aborted when it cannot be (no object, no upload left), after which <c>--resume</c> writes
/// it from the records without sending anything. The input is a JSON-lines object, read back for the table by the
/// library's own reader.</summary>
[Trait("Category", "Integration")]
public sealed class ObjectTableOutputTests : IClassFixture<MotoServerFixture>, IClassFixture<DemoServerFixture>
{
    private const int Rows = 1200;

    /// <summary>moto's smallest part, so the table of a thousand rows takes several.</summary>
    private static readonly StorageTuning Moto = new() { MinimumPartBytes = MotoServerFixture.MinimumPartBytes, ReadChunkBytes = 4096 };

    private readonly MotoServerFixture _s3;
    private readonly DemoServerFixture _model;

    public ObjectTableOutputTests(MotoServerFixture s3, DemoServerFixture model)
    {
        _s3 = s3;
        _model = model;
    }

    private long Predictions => _model.Server.Statistics.PredictRequests;

    private async Task<(BatchOptions Options, string Bucket)> PrepareAsync()
    {
        var bucket = await _s3.NewBucketAsync();
        var lines = Enumerable.Range(0, Rows).Select(i => string.Create(CultureInfo.InvariantCulture, $$$"""{"data":{"ndarray":[[{{{i}}},{{{i}}},{{{i}}},{{{i}}},{{{i}}},{{{i}}},{{{i}}},{{{i}}}]]}}""") + "\n");
        await _s3.PutAsync(bucket, "in.jsonl", Encoding.UTF8.GetBytes(string.Concat(lines)));
        var options = Options(_model.Server, "rest").WithBlock(b => b with { DataType = DataType.Raw, BatchSize = 8, BatchId = "s3-tables" }) with
        {
            InputDataPath = $"s3://{bucket}/in.jsonl",
            OutputDataPath = $"s3://{bucket}/out.parquet",
            S3Endpoint = _s3.Endpoint,
            S3PartSize = MotoServerFixture.MinimumPartBytes,
        };
        return (options, bucket);
    }

    private async Task AssertTableAsync(string bucket)
    {
        var text = Encoding.UTF8.GetString((await _s3.GetAsync(bucket, "out.parquet"))!).TrimEnd('\n').Split('\n');
        Assert.Equal(
            [.. Enumerable.Range(0, 8).Select(j => $"t:{j}"), "error"],
            JsonNode.Parse(text[0])!.AsArray().Select(c => c!["name"]!.GetValue<string>()));
        Assert.Equal(Rows, text.Length - 1);
        for (var i = 0; i < Rows; i++)
        {
            var row = JsonNode.Parse(text[i + 1])!.AsArray();
            Assert.All(row.Take(8), v => Assert.Equal(2.0 * i, v!.GetValue<double>()));
            Assert.Null(row[8]);
        }
    }

    private async Task<int> UploadsAsync(string bucket) =>
        (await _s3.Client.ListMultipartUploadsAsync(new ListMultipartUploadsRequest { BucketName = bucket })).MultipartUploads?.Count ?? 0;

    [Fact]
    public async Task The_records_and_the_table_are_objects_next_to_each_other_the_table_uploaded_in_parts()
    {
        var (options, bucket) = await PrepareAsync();

        var summary = await BatchRun.RunAsync(options, Moto, tables: FakeTables.Files());

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal($"s3://{bucket}/out.parquet", summary.OutputPath);
        await AssertTableAsync(bucket);
        Assert.Equal(Rows, Encoding.UTF8.GetString((await _s3.GetAsync(bucket, "out.parquet.records.jsonl"))!).TrimEnd('\n').Split('\n').Length);
        Assert.NotNull(await _s3.GetAsync(bucket, "out.parquet.records.jsonl.run.json"));
        // Several parts: the table is larger than one, and an upload's ETag says how many it joined.
        var etag = (await _s3.ETagAsync(bucket, "out.parquet")).Trim('"');
        Assert.True(int.Parse(etag[(etag.LastIndexOf('-') + 1)..], CultureInfo.InvariantCulture) >= 2, etag);
        Assert.Equal(0, await UploadsAsync(bucket));
    }

    [Fact]
    public async Task A_table_upload_that_fails_leaves_no_object_and_no_upload_and_resume_writes_it_without_sending_anything()
    {
        var (options, bucket) = await PrepareAsync();

        var failed = await BatchRun.RunAsync(options, Moto, tables: FakeTables.Files(failAfterRows: Rows - 10));

        Assert.Equal(RunOutcome.Stopped, failed.Outcome);
        Assert.Contains($"the table s3://{bucket}/out.parquet could not be written", failed.StopReason, StringComparison.Ordinal);
        Assert.Null(await _s3.GetAsync(bucket, "out.parquet"));
        Assert.Equal(0, await UploadsAsync(bucket));
        Assert.NotNull(await _s3.GetAsync(bucket, "out.parquet.records.jsonl"));
        var sent = Predictions;

        var resumed = await BatchRun.RunAsync(options with { Resume = true }, Moto, tables: FakeTables.Files());

        Assert.Equal(RunOutcome.Completed, resumed.Outcome);
        Assert.Equal(sent, Predictions);
        await AssertTableAsync(bucket);
    }
}
