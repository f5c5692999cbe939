using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Storage;

/// <summary>Runs whose input and output are objects in a real S3-compatible server (moto_server): streamed input,
/// multipart output that appears only when complete, resume from the last uploaded part, gzip, a changed input,
/// bad URLs and missing buckets.</summary>
[Trait("Category", "Integration")]
public sealed class ObjectStorageTests : IClassFixture<MotoServerFixture>, IClassFixture<DemoServerFixture>, IDisposable
{
    private readonly MotoServerFixture _s3;
    private readonly DemoServerFixture _model;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-s3-");

    public ObjectStorageTests(MotoServerFixture s3, DemoServerFixture model)
    {
        _s3 = s3;
        _model = model;
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private static byte[] Input(int lines) => Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, lines).Select(i => $"[[{i}, {i % 7}]]\n")));

    /// <summary>moto's smallest part instead of S3's, and small ranged GETs, so a few thousand lines take many of both.</summary>
    private static readonly StorageTuning Moto = new() { MinimumPartBytes = MotoServerFixture.MinimumPartBytes, ReadChunkBytes = 4096 };

    /// <summary>Small parts, so a few thousand lines take many.</summary>
    private BatchOptions S3Options(DemoModelServer server) => Options(server, "rest").WithBlock(b => b with { BatchId = "s3-batch" }) with
    {
        S3Endpoint = _s3.Endpoint,
        S3PartSize = MotoServerFixture.MinimumPartBytes,
    };

    /// <summary>The output a one-process run over a local copy of the input gives.</summary>
    private async Task<string[]> ReferenceAsync(byte[] input, BatchOptions options)
    {
        var path = Path.Combine(_dir.FullName, $"reference-in-{Guid.NewGuid():N}.txt");
        await File.WriteAllBytesAsync(path, input);
        var output = path + ".out";
        var summary = await BatchRun.RunAsync(options with { InputDataPath = path, OutputDataPath = output, InputCompression = Dataflow.InputCompression.None, Resume = false }, Moto);
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        return (await File.ReadAllLinesAsync(output)).Select(WithoutInstanceId).ToArray();
    }

    internal static string WithoutInstanceId(string line)
    {
        var json = JsonNode.Parse(line)!.AsObject();
        json["meta"]!["tags"]!.AsObject().Remove("batch_instance_id");
        return json.ToJsonString();
    }

    private static string[] Lines(byte[]? bytes) =>
        Encoding.UTF8.GetString(bytes ?? throw new Xunit.Sdk.XunitException("the object does not exist")).TrimEnd('\n').Split('\n').Select(WithoutInstanceId).ToArray();

    [Fact]
    public async Task An_input_object_streams_into_a_multipart_output_object_that_appears_complete()
    {
        var bucket = await _s3.NewBucketAsync();
        var input = Input(3000);
        await _s3.PutAsync(bucket, "in/data.txt", input);
        var options = S3Options(_model.Server) with { InputDataPath = $"s3://{bucket}/in/data.txt", OutputDataPath = $"s3://{bucket}/out/data.txt" };

        var summary = await BatchRun.RunAsync(options, Moto);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(3000, summary.Succeeded);
        Assert.Equal($"s3://{bucket}/out/data.txt", summary.OutputPath);
        Assert.Equal(await ReferenceAsync(input, options), Lines(await _s3.GetAsync(bucket, "out/data.txt")));
        // A multipart object's ETag ends in the number of its parts.
        var etag = (await _s3.ETagAsync(bucket, "out/data.txt")).Trim('"');
        Assert.True(int.Parse(etag[(etag.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture) > 1, $"expected several parts, ETag {etag}");
        Assert.Null(await _s3.GetAsync(bucket, "out/data.txt.upload.json"));
    }

    [Fact]
    public async Task An_empty_input_object_gives_an_empty_output_object()
    {
        var bucket = await _s3.NewBucketAsync();
        await _s3.PutAsync(bucket, "empty.txt", []);

        var summary = await BatchRun.RunAsync(S3Options(_model.Server) with { InputDataPath = $"s3://{bucket}/empty.txt", OutputDataPath = $"s3://{bucket}/out.txt" }, Moto);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(0, summary.Instances);
        Assert.Equal(0, (await _s3.GetAsync(bucket, "out.txt"))?.Length);
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.upload.json"));
    }

    [Fact]
    public async Task Gzip_input_is_decoded_on_the_fly_from_s3_and_from_a_local_file()
    {
        var bucket = await _s3.NewBucketAsync();
        var input = Input(1500);
        using var packed = new MemoryStream();
        using (var gzip = new GZipStream(packed, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(input);
        }

        await _s3.PutAsync(bucket, "in.txt.gz", packed.ToArray());
        var local = Path.Combine(_dir.FullName, "in-without-suffix");
        await File.WriteAllBytesAsync(local, packed.ToArray());
        var options = S3Options(_model.Server);
        var reference = await ReferenceAsync(input, options);

        var fromS3 = await BatchRun.RunAsync(options with { InputDataPath = $"s3://{bucket}/in.txt.gz", OutputDataPath = $"s3://{bucket}/out.txt" }, Moto);
        var fromFile = await BatchRun.RunAsync(options with
        {
            InputDataPath = local,
            OutputDataPath = Path.Combine(_dir.FullName, "out.txt"),
            InputCompression = Dataflow.InputCompression.Gzip,
        }, Moto);

        Assert.Equal(RunOutcome.Completed, fromS3.Outcome);
        Assert.Equal(reference, Lines(await _s3.GetAsync(bucket, "out.txt")));
        Assert.Equal(RunOutcome.Completed, fromFile.Outcome);
        Assert.Equal(reference, (await File.ReadAllLinesAsync(Path.Combine(_dir.FullName, "out.txt"))).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task An_interrupted_upload_is_continued_by_a_plain_rerun_after_its_last_complete_part()
    {
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 2 });
        var bucket = await _s3.NewBucketAsync();
        var input = Input(4000);
        await _s3.PutAsync(bucket, "in.txt", input);
        var options = S3Options(slow) with { InputDataPath = $"s3://{bucket}/in.txt", OutputDataPath = $"s3://{bucket}/out.txt", ShutdownTimeout = TimeSpan.FromSeconds(5) };
        var reference = await ReferenceAsync(input, options);

        using var stop = new CancellationTokenSource();
        var run = BatchRun.RunAsync(options, Moto, cancellationToken: stop.Token);
        await WaitForPartsAsync(bucket, "out.txt.upload.json", 2, run);
        await stop.CancelAsync();
        var interrupted = await run;

        Assert.Equal(RunOutcome.Interrupted, interrupted.Outcome);
        Assert.Null(await _s3.GetAsync(bucket, "out.txt"));
        var checkpoint = JsonNode.Parse(await _s3.GetAsync(bucket, "out.txt.upload.json"))!;
        var kept = checkpoint["lines"]!.GetValue<long>();
        Assert.InRange(kept, 1, 3999);

        var resumed = await BatchRun.RunAsync(options, Moto);

        Assert.Equal(RunOutcome.Completed, resumed.Outcome);
        Assert.Equal(kept, resumed.ResumedLines);
        Assert.Equal(4000, resumed.ResumedLines + resumed.Instances);
        Assert.Equal(reference, Lines(await _s3.GetAsync(bucket, "out.txt")));
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.upload.json"));
    }

    [Fact]
    public async Task A_resumed_upload_sends_whole_micro_batches_and_writes_what_one_run_writes()
    {
        // The model answers a row by its position in the request. A part ends wherever 16 KiB of lines do (after a kill,
        // inside a micro-batch; a stopped run's last flush often ends it with the answered prefix): the resumed run sends
        // the micro-batch of its first line whole and writes only the lines after the parts.
        const int batchSize = 7;
        await using var positional = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 2, AnswerPosition = true });
        var bucket = await _s3.NewBucketAsync();
        var input = Input(3000);
        await _s3.PutAsync(bucket, "in.txt", input);
        var options = S3Options(positional).WithBlock(b => b with { BatchSize = batchSize, Workers = 2 }) with
        {
            InputDataPath = $"s3://{bucket}/in.txt",
            OutputDataPath = $"s3://{bucket}/out.txt",
            ShutdownTimeout = TimeSpan.FromSeconds(5),
        };
        var reference = await ReferenceAsync(input, options);

        using var stop = new CancellationTokenSource();
        var run = BatchRun.RunAsync(options, Moto, cancellationToken: stop.Token);
        await WaitForPartsAsync(bucket, "out.txt.upload.json", 1, run);
        await stop.CancelAsync();
        Assert.Equal(RunOutcome.Interrupted, (await run).Outcome);
        var kept = JsonNode.Parse(await _s3.GetAsync(bucket, "out.txt.upload.json"))!["lines"]!.GetValue<long>();
        var requests = positional.Statistics.Requests;

        var resumed = await BatchRun.RunAsync(options with { Resume = true }, Moto);

        Assert.Equal(RunOutcome.Completed, resumed.Outcome);
        Assert.Equal(kept, resumed.ResumedLines);
        Assert.Equal(3000 - kept, resumed.Instances);
        Assert.Equal(3000 / batchSize - (kept / batchSize) + 1, positional.Statistics.Requests - requests);
        Assert.Equal(reference, Lines(await _s3.GetAsync(bucket, "out.txt")));
    }

    [Fact]
    public async Task An_s3_output_stopped_by_an_outage_keeps_a_prefix_without_unanswered_lines_that_resume_completes_and_counts()
    {
        const int count = 3000;
        var bucket = await _s3.NewBucketAsync();
        await _s3.PutAsync(bucket, "in.txt", Input(count));
        var options = S3Options(_model.Server).WithBlock(b => b with { MaxOutage = TimeSpan.FromSeconds(1) }) with { InputDataPath = $"s3://{bucket}/in.txt", OutputDataPath = $"s3://{bucket}/out.txt" };
        RunSummary stopped;
        // Line 13 is refused by the model (an error record); from request 1500 on nothing answers.
        await using (var failing = await DemoModelServer.StartAsync(
            new ServeOptions { RefuseValue = "13", OutageAfter = 1500, OutageSeconds = 3600, OutageMode = ServerOutageMode.Unavailable }))
        {
            stopped = await BatchRun.RunAsync(options.WithEndpoint(e => e with { Host = $"127.0.0.1:{failing.RestPort}" }), Moto);
        }

        Assert.Equal(RunOutcome.Stopped, stopped.Outcome);
        Assert.Contains("is unreachable", stopped.StopReason);
        Assert.Null(await _s3.GetAsync(bucket, "out.txt"));
        var checkpoint = JsonNode.Parse(await _s3.GetAsync(bucket, "out.txt.upload.json"))!;
        var kept = checkpoint["lines"]!.GetValue<long>();
        Assert.InRange(kept, 14, 1499);
        // The record of the unfinished output names the input by its size and ETag, not by reading it.
        var record = JsonNode.Parse(await _s3.GetAsync(bucket, "out.txt.partial.json"))!;
        Assert.Equal(await _s3.ETagAsync(bucket, "in.txt"), record["input"]!["etag"]!.GetValue<string>());
        Assert.Null(record["input"]!["head_tail_sha256"]);
        Assert.Null(record["input"]!["xxh128"]);

        await using var healthy = await DemoModelServer.StartAsync(new ServeOptions());
        var resumed = await BatchRun.RunAsync(options.WithEndpoint(e => e with { Host = $"127.0.0.1:{healthy.RestPort}" }) with { Resume = true }, Moto);

        Assert.Equal(RunOutcome.Completed, resumed.Outcome);
        Assert.Equal(kept, resumed.ResumedLines);
        Assert.Equal(count - kept, healthy.Statistics.Requests);
        // The prefix's error record is counted from the checkpoint (its parts cannot be read back).
        Assert.Equal(1, resumed.Failed);
        Assert.Equal(count - 1, resumed.Succeeded);
        var lines = Encoding.UTF8.GetString((await _s3.GetAsync(bucket, "out.txt"))!).TrimEnd('\n').Split('\n');
        Assert.Equal(count, lines.Length);
        for (var i = 0; i < count; i++)
        {
            var line = JsonNode.Parse(lines[i])!;
            Assert.Equal(i, line["meta"]!["tags"]!["batch_index"]!.GetValue<long>());
            // Only the refused line is an error record: no line the outage left unanswered was written as one.
            Assert.Equal(i == 13, line["status"]?["status"]?.GetValue<int>() == 1);
        }

        Assert.Equal(count, JsonNode.Parse(await _s3.GetAsync(bucket, "out.txt.run.json"))!["lines"]!.GetValue<long>());
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.partial.json"));
    }

    [Fact]
    public async Task A_run_over_a_damaged_upload_checkpoint_is_refused_naming_the_restart_setting()
    {
        var bucket = await _s3.NewBucketAsync();
        await _s3.PutAsync(bucket, "in.txt", Input(20));
        await _s3.PutAsync(bucket, "out.txt.upload.json", Encoding.UTF8.GetBytes("not a checkpoint"));
        var options = S3Options(_model.Server) with { InputDataPath = $"s3://{bucket}/in.txt", OutputDataPath = $"s3://{bucket}/out.txt" };
        var requests = _model.Server.Statistics.Requests;

        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options, Moto));

        Assert.StartsWith($"s3://{bucket}/out.txt.upload.json is not an upload checkpoint (", refused.Message);
        Assert.EndsWith(": pass Restart to discard it and start from the first line", refused.Message);
        Assert.Equal(nameof(BatchOptions.Restart), refused.Property);
        Assert.Equal(requests, _model.Server.Statistics.Requests);
        Assert.Equal("not a checkpoint", Encoding.UTF8.GetString((await _s3.GetAsync(bucket, "out.txt.upload.json"))!));

        var restarted = await BatchRun.RunAsync(options with { Restart = true }, Moto);

        Assert.Equal((RunOutcome.Completed, 20L), (restarted.Outcome, restarted.Instances));
    }

    [Fact]
    public async Task Retry_failed_over_an_s3_output_is_refused_as_a_setting()
    {
        var bucket = await _s3.NewBucketAsync();
        await _s3.PutAsync(bucket, "in.txt", Input(20));
        var options = S3Options(_model.Server) with { InputDataPath = $"s3://{bucket}/in.txt", OutputDataPath = $"s3://{bucket}/out.txt" };
        Assert.Equal(RunOutcome.Completed, (await BatchRun.RunAsync(options, Moto)).Outcome);
        var before = await _s3.GetAsync(bucket, "out.txt");

        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options with { RetryFailed = true }, Moto));

        Assert.StartsWith("RetryFailed works on a local output file of a whole run", refused.Message);
        Assert.Equal(nameof(BatchOptions.RetryFailed), refused.Property);
        Assert.Equal(before, await _s3.GetAsync(bucket, "out.txt"));
    }

    [Fact]
    public async Task An_input_object_replaced_mid_run_fails_the_run_and_the_rerun_refuses_its_partial_output()
    {
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 2 });
        var bucket = await _s3.NewBucketAsync();
        await _s3.PutAsync(bucket, "in.txt", Input(20_000));
        var options = S3Options(slow) with { InputDataPath = $"s3://{bucket}/in.txt", OutputDataPath = $"s3://{bucket}/out.txt" };

        var run = BatchRun.RunAsync(options, Moto);
        var deadline = Task.Delay(TimeSpan.FromSeconds(60));
        while (slow.Statistics.Requests < 20 && !run.IsCompleted && !deadline.IsCompleted)
        {
            await Task.Delay(10);
        }

        await _s3.PutAsync(bucket, "in.txt", Input(20_001));
        // The store's failure stops the run (exit code 3 on the command line), said once; it is not thrown.
        var stopped = await run;

        Assert.Equal(RunOutcome.Stopped, stopped.Outcome);
        Assert.Contains("changed while it was read", stopped.StopReason);
        Assert.Null(await _s3.GetAsync(bucket, "out.txt"));
        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options, Moto));
        Assert.Contains($"the multipart upload recorded in s3://{bucket}/out.txt.upload.json holds a partial output of another input", refused.Message);
    }

    [Theory]
    [InlineData("s3://", "names no bucket")]
    [InlineData("s3:///key", "names no bucket")]
    [InlineData("s3://Bad_Bucket/key", "not a valid bucket name")]
    [InlineData("s3://bucket", "names no object")]
    [InlineData("s3://bucket/folder/", "names no object")]
    public void A_malformed_url_is_a_settings_error(string url, string message)
    {
        var options = S3Options(_model.Server) with { InputDataPath = url, OutputDataPath = Path.Combine(_dir.FullName, "out.txt") };

        var error = Assert.Throws<InvalidBatchOptionsException>(() => options.Validate(checkFiles: true, Moto.MinimumPartBytes));

        Assert.StartsWith("InputDataPath: ", error.Message);
        Assert.Equal(nameof(BatchOptions.InputDataPath), error.Property);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public async Task A_missing_object_or_bucket_is_a_settings_error_before_any_request()
    {
        var bucket = await _s3.NewBucketAsync();
        await _s3.PutAsync(bucket, "in.txt", Input(10));
        var options = S3Options(_model.Server);
        var requests = _model.Server.Statistics.Requests;

        var noKey = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options with
        {
            InputDataPath = $"s3://{bucket}/missing.txt",
            OutputDataPath = $"s3://{bucket}/out.txt",
        }, Moto));
        var noOutputBucket = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options with
        {
            InputDataPath = $"s3://{bucket}/in.txt",
            OutputDataPath = "s3://no-such-bucket-here/out.txt",
        }, Moto));

        Assert.Contains($"s3://{bucket}/missing.txt", noKey.Message);
        Assert.Contains("no such object", noKey.Message);
        Assert.Contains("'no-such-bucket-here' does not exist", noOutputBucket.Message);
        Assert.Equal(requests, _model.Server.Statistics.Requests);
    }

    [Fact]
    public async Task Of_two_uploads_racing_for_one_part_only_the_first_is_published()
    {
        var bucket = await _s3.NewBucketAsync();
        var part = Dataflow.StorageLocation.Parse($"s3://{bucket}/out.txt.parts/part-00000-of-00002");
        using var store = new Dataflow.ObjectStore(_s3.Endpoint, MotoServerFixture.MinimumPartBytes);
        var first = Dataflow.OutputTarget.Create(part, store);
        var second = Dataflow.OutputTarget.Create(part, store);
        await using (var a = await first.OpenAsync(Dataflow.WrittenPrefix.None, "b", null, CancellationToken.None))
        await using (var b = await second.OpenAsync(Dataflow.WrittenPrefix.None, "b", null, CancellationToken.None))
        {
            await a.WriteAsync(Encoding.UTF8.GetBytes("first\n"));
            await b.WriteAsync(Encoding.UTF8.GetBytes("second\n"));
        }

        await first.PublishAsync(exclusive: true, CancellationToken.None);
        var lost = await Assert.ThrowsAnyAsync<IOException>(() => second.PublishAsync(exclusive: true, CancellationToken.None));

        Assert.Contains("already published by another run", lost.Message);
        Assert.Equal("first\n", Encoding.UTF8.GetString((await _s3.GetAsync(bucket, "out.txt.parts/part-00000-of-00002"))!));
    }

    private async Task WaitForPartsAsync(string bucket, string checkpoint, int parts, Task run)
    {
        var deadline = Task.Delay(TimeSpan.FromSeconds(60));
        while (!run.IsCompleted && !deadline.IsCompleted)
        {
            if (await _s3.GetAsync(bucket, checkpoint) is { } bytes && JsonNode.Parse(bytes)!["parts"]!.AsArray().Count >= parts)
            {
                return;
            }

            await Task.Delay(20);
        }

        throw new Xunit.Sdk.XunitException($"the run {(run.IsCompleted ? "ended" : "did not upload")} before {checkpoint} recorded {parts} parts");
    }
}
