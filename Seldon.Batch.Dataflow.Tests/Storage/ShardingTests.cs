using System.Text;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Storage;

/// <summary>N shard runs (in this process, side by side, as the pods of an Indexed Job) then merge give the output of
/// one run, apart from instance ids; shards agree on one plan, refuse a changed input, publish once and resume their own part.</summary>
[Trait("Category", "Integration")]
public sealed class ShardingTests : IClassFixture<DemoServerFixture>, IClassFixture<MotoServerFixture>, IDisposable
{
    private readonly DemoServerFixture _model;
    private readonly MotoServerFixture _s3;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-shard-");

    public ShardingTests(DemoServerFixture model, MotoServerFixture s3)
    {
        _model = model;
        _s3 = s3;
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>An input with the awkward bits: a byte-order mark, CRLF and LF, blank and broken lines, no final newline.</summary>
    private async Task<BatchOptions> InputAsync(int lines, string batchId = "shards")
    {
        var text = new StringBuilder("\uFEFF");
        for (var i = 0; i < lines; i++)
        {
            text.Append(i % 17 == 5 ? "" : i % 23 == 7 ? "[[1," : $"[[{i}, {i % 5}]]");
            if (i < lines - 1)
            {
                text.Append(i % 3 == 0 ? "\r\n" : "\n");
            }
        }

        var input = PathOf("input.txt");
        await File.WriteAllTextAsync(input, text.ToString(), new UTF8Encoding(false));
        return Options(_model.Server, "rest").WithBlock(b => b with { BatchId = batchId, Workers = 2, BatchSize = 3 }) with { InputDataPath = input, OutputDataPath = PathOf("output.txt") };
    }

    private static string[] WithoutInstanceIds(IEnumerable<string> lines) => lines.Select(ObjectStorageTests.WithoutInstanceId).ToArray();

    /// <summary>Runs the shards of <paramref name="options"/> at once; an s3:// output takes moto's small parts.</summary>
    private static Task<RunSummary[]> ShardsAsync(BatchOptions options, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(k => Task.Run(() => BatchRun.RunAsync(options with { ShardCount = count, ShardIndex = k }, Moto))));

    /// <summary>moto's smallest part instead of S3's.</summary>
    private static readonly StorageTuning Moto = new() { MinimumPartBytes = MotoServerFixture.MinimumPartBytes };

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(8)]
    [InlineData(130)]
    public async Task Shards_then_merge_equal_one_run(int shards)
    {
        var options = await InputAsync(100);
        var reference = await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.txt") });

        var runs = await ShardsAsync(options, shards);
        var merged = await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = shards, SummaryPath = PathOf("summary.json") });

        Assert.All(runs, r => Assert.Equal(RunOutcome.Completed, r.Outcome));
        Assert.Equal(WithoutInstanceIds(await File.ReadAllLinesAsync(PathOf("reference.txt"))), WithoutInstanceIds(await File.ReadAllLinesAsync(options.OutputDataPath)));
        Assert.Equal(100, merged.Instances);
        if (shards > 1)
        {
            Assert.Equal(reference.Failed, merged.Failed);
            Assert.Equal(reference.FailuresByKind, merged.FailuresByKind);
        }

        var summary = JsonNode.Parse(await File.ReadAllTextAsync(PathOf("summary.json")))!;
        Assert.Equal(100, summary["instances"]!.GetValue<long>());
        Assert.Equal(options.OutputDataPath, summary["output_path"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_part_has_its_own_record_and_retry_failed_takes_the_merged_output_not_a_part()
    {
        var options = await InputAsync(60);
        var runs = await ShardsAsync(options, 3);
        Assert.All(runs, r => Assert.Equal(RunOutcome.Completed, r.Outcome));

        // The record belongs to the part: its line count is the shard's range, not the input's.
        var part = options.OutputDataPath + ".parts/part-00001-of-00003";
        var record = JsonNode.Parse(await File.ReadAllTextAsync(part + ".run.json"))!;
        Assert.Equal((await File.ReadAllLinesAsync(part)).Length, record["lines"]!.GetValue<long>());
        Assert.Equal(new FileInfo(options.InputDataPath).Length, record["input"]!["size"]!.GetValue<long>());
        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options with { ShardCount = 3, ShardIndex = 1, RetryFailed = true }));
        Assert.Contains("not on an s3:// output or a shard's part", refused.Message);

        var merged = await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 3 });
        Assert.True(merged.Failed > 0);
        var retried = await BatchRun.RunAsync(options with { RetryFailed = true });

        Assert.Equal(RunOutcome.Completed, retried.Outcome);
        Assert.Equal(merged.Failed, retried.RetriedLines);
        Assert.Equal(60, (await File.ReadAllLinesAsync(options.OutputDataPath)).Length);
    }

    [Fact]
    public async Task A_gzip_input_is_sharded_by_its_decoded_lines()
    {
        var options = await InputAsync(120);
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.txt") });
        var packed = PathOf("input.txt.gz");
        await using (var file = File.Create(packed))
        await using (var gzip = new System.IO.Compression.GZipStream(file, System.IO.Compression.CompressionLevel.Fastest))
        {
            await gzip.WriteAsync(await File.ReadAllBytesAsync(options.InputDataPath));
        }

        await ShardsAsync(options with { InputDataPath = packed }, 4);
        await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 4 });

        Assert.Equal(WithoutInstanceIds(await File.ReadAllLinesAsync(PathOf("reference.txt"))), WithoutInstanceIds(await File.ReadAllLinesAsync(options.OutputDataPath)));
    }

    [Fact]
    public async Task Shards_without_a_batch_id_agree_on_one_derived_from_the_plan()
    {
        var options = await InputAsync(40, batchId: "");

        await ShardsAsync(options, 4);
        await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 4 });

        var ids = (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(l => Tags(JsonNode.Parse(l)!.AsObject())["batch_id"]!.GetValue<string>()).Distinct().ToList();
        Assert.Single(ids);
        Assert.True(Guid.TryParse(ids[0], out _), ids[0]);
    }

    [Fact]
    public async Task A_shard_whose_input_changed_since_the_plan_refuses_to_run()
    {
        var options = await InputAsync(30);
        await BatchRun.RunAsync(options with { ShardCount = 2, ShardIndex = 0 });
        await File.AppendAllTextAsync(options.InputDataPath, "\n[[9, 9]]");

        var error = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options with { ShardCount = 2, ShardIndex = 1 }));

        Assert.Contains("changed since the shard plan", error.Message);
        Assert.False(File.Exists(PathOf("output.txt.parts/part-00001-of-00002")));
    }

    [Fact]
    public async Task A_plan_cut_for_another_batch_size_or_by_an_older_version_is_refused_not_used()
    {
        var options = await InputAsync(30);
        await BatchRun.RunAsync(options with { ShardCount = 2, ShardIndex = 0 });
        var plan = PathOf("output.txt.parts/plan-of-00002.json");
        Assert.Equal(3, JsonNode.Parse(await File.ReadAllTextAsync(plan))!["batch_size"]!.GetValue<int>());

        var other = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options.WithBlock(b => b with { BatchSize = 4 }) with { ShardCount = 2, ShardIndex = 1 }));
        var json = JsonNode.Parse(await File.ReadAllTextAsync(plan))!.AsObject();
        json.Remove("batch_size");
        await File.WriteAllTextAsync(plan, json.ToJsonString());
        var older = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options with { ShardCount = 2, ShardIndex = 1 }));

        Assert.Contains($"{plan} cuts the input for BatchSize 3, not 4: run every shard with BatchSize 3", other.Message);
        Assert.Contains("made by an older version", older.Message);
        Assert.Contains("delete the .parts folder", older.Message);
        Assert.False(File.Exists(PathOf("output.txt.parts/part-00001-of-00002")));
        Assert.False(File.Exists(PathOf("output.txt.parts/part-00001-of-00002.partial")));
    }

    [Fact]
    public async Task Each_shard_starts_on_a_whole_micro_batch()
    {
        var options = (await InputAsync(100)).WithBlock(b => b with { BatchSize = 7 });

        await ShardsAsync(options, 4);

        var ranges = JsonNode.Parse(await File.ReadAllTextAsync(PathOf("output.txt.parts/plan-of-00004.json")))!["ranges"]!.AsArray();
        Assert.All(ranges, r => Assert.Equal(0, r!["first_line"]!.GetValue<long>() % 7));
        Assert.Equal(100, ranges.Sum(r => r!["lines"]!.GetValue<long>()));
    }

    [Fact]
    public async Task A_shard_publishes_its_part_once_and_a_rerun_of_a_complete_shard_does_nothing()
    {
        var options = await InputAsync(30) with { ShardCount = 2, ShardIndex = 1 };
        await BatchRun.RunAsync(options);
        var part = PathOf("output.txt.parts/part-00001-of-00002");
        var published = await File.ReadAllTextAsync(part);
        var requests = _model.Server.Statistics.Requests;

        // A restarted pod finds its work done, with or without --resume.
        var again = await BatchRun.RunAsync(options);
        var resumed = await BatchRun.RunAsync(options with { Resume = true });

        Assert.Equal((RunOutcome.Completed, 0L), (again.Outcome, again.Instances));
        Assert.Equal((RunOutcome.Completed, 0L), (resumed.Outcome, resumed.Instances));
        Assert.Equal(published, await File.ReadAllTextAsync(part));
        Assert.Equal(requests, _model.Server.Statistics.Requests);
    }

    [Fact]
    public async Task A_published_part_made_with_other_settings_is_refused_and_restart_runs_the_shard_again()
    {
        var options = await InputAsync(30) with { ShardCount = 2, ShardIndex = 1 };
        await BatchRun.RunAsync(options);
        var part = PathOf("output.txt.parts/part-00001-of-00002");
        var published = await File.ReadAllTextAsync(part);

        // Another model: the part holds the answers of the first (the built-in server answers any deployment name).
        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options.WithEndpoint(e => e with { DeploymentName = "other" })));

        Assert.Equal($"{part} holds the published part made with other settings (DeploymentName 'demo', not 'other'): delete it or pass Restart to discard it", refused.Message);
        Assert.Equal([nameof(BatchOptions.Restart), nameof(EndpointSettings.DeploymentName)], refused.Properties);
        Assert.Equal(published, await File.ReadAllTextAsync(part));

        var restarted = await BatchRun.RunAsync(options.WithEndpoint(e => e with { DeploymentName = "other" }) with { Restart = true });

        Assert.Equal(RunOutcome.Completed, restarted.Outcome);
        Assert.True(restarted.Instances > 0);
        Assert.Equal("other", JsonNode.Parse(await File.ReadAllTextAsync(part + ".run.json"))!["settings"]!["deployment_name"]!.GetValue<string>());
    }

    [Fact]
    public async Task An_interrupted_shard_resumes_its_own_part()
    {
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 3 });
        var options = (await InputAsync(600)).WithEndpoint(e => e with { Host = $"127.0.0.1:{slow.RestPort}" }).WithBlock(b => b with { BatchSize = 1 }) with { ShutdownTimeout = TimeSpan.FromSeconds(5) };
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.txt") });
        await BatchRun.RunAsync(options with { ShardCount = 3, ShardIndex = 0 });
        await BatchRun.RunAsync(options with { ShardCount = 3, ShardIndex = 2 });

        using var stop = new CancellationTokenSource();
        var before = slow.Statistics.Requests;
        var run = BatchRun.RunAsync(options with { ShardCount = 3, ShardIndex = 1 }, cancellationToken: stop.Token);
        var deadline = Task.Delay(TimeSpan.FromSeconds(60));
        while (slow.Statistics.Requests < before + 50 && !run.IsCompleted && !deadline.IsCompleted)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        var interrupted = await run;
        Assert.Equal(RunOutcome.Interrupted, interrupted.Outcome);
        Assert.False(File.Exists(PathOf("output.txt.parts/part-00001-of-00003")));
        await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 3 }));

        var resumed = await BatchRun.RunAsync(options with { ShardCount = 3, ShardIndex = 1, Resume = true });
        await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 3 });

        Assert.Equal(interrupted.Instances, resumed.ResumedLines);
        Assert.True(resumed.ResumedLines > 0, "the interrupted shard kept no line");
        Assert.Equal(WithoutInstanceIds(await File.ReadAllLinesAsync(PathOf("reference.txt"))), WithoutInstanceIds(await File.ReadAllLinesAsync(options.OutputDataPath)));
    }

    [Fact]
    public async Task Merge_without_a_shard_count_takes_it_from_the_plan_and_asks_when_plans_disagree()
    {
        var options = await InputAsync(40);
        await ShardsAsync(options, 3);

        var merged = await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath });
        await ShardsAsync(options with { OutputDataPath = PathOf("again.txt") }, 2);
        await ShardsAsync(options with { OutputDataPath = PathOf("again.txt") }, 4);
        var ambiguous = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.MergeAsync(new MergeOptions { OutputDataPath = PathOf("again.txt") }));
        var none = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.MergeAsync(new MergeOptions { OutputDataPath = PathOf("never.txt") }));

        Assert.Equal(39, merged.Instances); // the 40th line is blank and has no newline: no line
        Assert.Equal(39, (await File.ReadAllLinesAsync(options.OutputDataPath)).Length);
        Assert.Contains("holds the plans of 2 and 4 shards: say which to merge with ShardCount", ambiguous.Message);
        Assert.Equal(["ShardCount"], ambiguous.Properties);
        Assert.Contains("there are no parts to merge", none.Message);
        Assert.False(File.Exists(PathOf("again.txt")));
    }

    [Fact]
    public async Task A_shard_of_another_batch_id_is_refused_in_the_words_of_its_caller()
    {
        var options = await InputAsync(20);
        await BatchRun.RunAsync(options with { ShardCount = 2, ShardIndex = 0 });

        var library = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options.WithBlock(b => b with { BatchId = "other" }) with { ShardCount = 2, ShardIndex = 1 }));
        var flags = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(
            options.WithBlock(b => b with { BatchId = "other" }) with { ShardCount = 2, ShardIndex = 1, SettingName = property => property == "BatchId" ? "--batch-id" : property }));

        Assert.Contains("belongs to batch 'shards', not to BatchId 'other'", library.Message);
        Assert.Contains("belongs to batch 'shards', not to --batch-id 'other'", flags.Message);
    }

    [Fact]
    public async Task Merge_refuses_a_part_that_lost_a_line_or_is_missing()
    {
        var options = await InputAsync(50);
        await ShardsAsync(options, 3);
        var part = PathOf("output.txt.parts/part-00001-of-00003");
        var lines = await File.ReadAllLinesAsync(part);
        await File.WriteAllLinesAsync(part, lines.SkipLast(1));

        // The parts must be made again before a merge can succeed: settings to fix (exit code 2 on the command line).
        var shortPart = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 3 }));
        File.Delete(part);
        var missing = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 3 }));
        var noPlan = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 4 }));

        Assert.Contains($"has {lines.Length - 1} lines", shortPart.Message);
        Assert.Contains("shard 1 has not completed; run it (ShardIndex 1)", missing.Message);
        Assert.Contains("no shard plan", noPlan.Message);
        Assert.False(File.Exists(options.OutputDataPath));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Shards_on_s3_merge_by_server_side_copy_or_by_streaming(bool copy)
    {
        var bucket = await _s3.NewBucketAsync();
        var local = await InputAsync(900);
        await _s3.PutAsync(bucket, "in.txt", await File.ReadAllBytesAsync(local.InputDataPath));
        var options = local with
        {
            InputDataPath = $"s3://{bucket}/in.txt",
            OutputDataPath = $"s3://{bucket}/out.txt",
            S3Endpoint = _s3.Endpoint,
            S3PartSize = MotoServerFixture.MinimumPartBytes,
        };
        await BatchRun.RunAsync(local with { OutputDataPath = PathOf("reference.txt") });

        var runs = await ShardsAsync(options, 3);
        var merged = await BatchRun.MergeAsync(
            new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 3, S3Endpoint = _s3.Endpoint },
            Moto with { MergePartBytes = MotoServerFixture.MinimumPartBytes, CopyPartMinimumBytes = copy ? MotoServerFixture.MinimumPartBytes : long.MaxValue });

        Assert.All(runs, r => Assert.Equal(RunOutcome.Completed, r.Outcome));
        Assert.Equal(900, merged.Instances);
        var output = Encoding.UTF8.GetString((await _s3.GetAsync(bucket, "out.txt"))!).TrimEnd('\n').Split('\n');
        Assert.Equal(WithoutInstanceIds(await File.ReadAllLinesAsync(PathOf("reference.txt"))), WithoutInstanceIds(output));
        Assert.NotNull(await _s3.GetAsync(bucket, "out.txt.parts/plan-of-00003.json"));
    }
}
