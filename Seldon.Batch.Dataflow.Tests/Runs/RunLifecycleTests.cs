using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>Atomic output, graceful stop, resume, the failure policy and the JSON summary, through real runs.</summary>
[Trait("Category", "Integration")]
public sealed class RunLifecycleTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private readonly DemoServerFixture _fixture;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-life-");

    public RunLifecycleTests(DemoServerFixture fixture) => _fixture = fixture;

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private async Task<BatchOptions> FilesAsync(BatchOptions options, int lines, Func<int, string>? line = null)
    {
        var input = PathOf("input.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, lines).Select(line ?? (i => $"[[{i}, {i % 7}]]")));
        return options.WithBlock(b => b with { BatchId = "life" }) with { InputDataPath = input, OutputDataPath = PathOf("output.txt") };
    }

    private static void AssertPrefix(string path, int minimum)
    {
        var lines = File.ReadAllLines(path);
        Assert.True(lines.Length >= minimum, $"expected at least {minimum} lines in {path}, found {lines.Length}");
        for (var k = 0; k < lines.Length; k++)
        {
            Assert.Equal(k, JsonNode.Parse(lines[k])!["meta"]!["tags"]!["batch_index"]!.GetValue<long>());
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task An_interrupted_run_leaves_a_prefix_and_resume_completes_it_as_if_uninterrupted(string transport)
    {
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 5 });
        var options = await FilesAsync(Options(slow, transport).WithBlock(b => b with { Workers = 4 }) with { ShutdownTimeout = TimeSpan.FromSeconds(5) }, 400);
        var reference = await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.txt") });
        Assert.Equal(RunOutcome.Completed, reference.Outcome);

        using var stop = new CancellationTokenSource();
        var run = BatchRun.RunAsync(options, cancellationToken: stop.Token);
        var waited = Task.Delay(TimeSpan.FromSeconds(30));
        while (slow.Statistics.Requests < reference.Requests + 60 && !waited.IsCompleted && !run.IsCompleted)
        {
            await Task.Delay(10);
        }

        await stop.CancelAsync();
        var interrupted = await run;

        Assert.Equal(RunOutcome.Interrupted, interrupted.Outcome);
        Assert.False(File.Exists(options.OutputDataPath), "an interrupted run must not leave a file at the output path");
        Assert.InRange(interrupted.Instances, 1, 399);
        AssertPrefix(options.OutputDataPath + ".partial", (int)interrupted.Instances);

        var resumed = await BatchRun.RunAsync(options with { Resume = true });

        Assert.Equal(RunOutcome.Completed, resumed.Outcome);
        Assert.Equal(interrupted.Instances, resumed.ResumedLines);
        Assert.Equal(400, resumed.ResumedLines + resumed.Instances);
        Assert.False(File.Exists(options.OutputDataPath + ".partial"));
        Assert.Equal(
            File.ReadAllLines(PathOf("reference.txt")).Select(WithoutInstanceId),
            File.ReadAllLines(options.OutputDataPath).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task Resume_after_a_crash_keeps_the_complete_lines_and_cuts_a_torn_one()
    {
        var options = await FilesAsync(Options(_fixture.Server, "rest"), 100);
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.txt") });
        var reference = File.ReadAllLines(PathOf("reference.txt"));
        // What a killed run leaves: 40 complete lines and the first half of the 41st.
        await File.WriteAllTextAsync(options.OutputDataPath + ".partial", string.Concat(reference.Take(40).Select(l => l + "\n")) + reference[40][..30]);

        var resumed = await BatchRun.RunAsync(options with { Resume = true });

        Assert.Equal(40, resumed.ResumedLines);
        Assert.Equal(60, resumed.Instances);
        var output = File.ReadAllLines(options.OutputDataPath);
        Assert.Equal(reference.Take(40), output.Take(40)); // kept byte for byte
        Assert.Equal(reference.Select(WithoutInstanceId), output.Select(WithoutInstanceId));
    }

    [Fact]
    public async Task Resume_keeps_only_the_prefix_whose_positions_match()
    {
        var options = await FilesAsync(Options(_fixture.Server, "rest"), 30);
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.txt") });
        var reference = File.ReadAllLines(PathOf("reference.txt"));
        var damaged = reference.Take(20).Append(reference[25]).Concat(reference.Skip(21).Take(3)); // line 20 says batch_index 25
        await File.WriteAllLinesAsync(options.OutputDataPath + ".partial", damaged);

        var resumed = await BatchRun.RunAsync(options with { Resume = true });

        Assert.Equal(20, resumed.ResumedLines);
        Assert.Equal(reference.Select(WithoutInstanceId), File.ReadAllLines(options.OutputDataPath).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task Resume_refuses_a_partial_output_of_another_batch()
    {
        var options = await FilesAsync(Options(_fixture.Server, "rest"), 10);
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.txt") });
        File.Copy(PathOf("reference.txt"), options.OutputDataPath + ".partial");

        var error = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options.WithBlock(b => b with { BatchId = "other" }) with { Resume = true }));

        Assert.Contains("'life'", error.Message);
        Assert.Contains("'other'", error.Message);
    }

    [Fact]
    public async Task Without_resume_an_old_side_file_is_replaced()
    {
        var options = await FilesAsync(Options(_fixture.Server, "rest"), 5);
        await File.WriteAllTextAsync(options.OutputDataPath + ".partial", "left over from a dead run\n{\"meta\":{}}\n");

        var summary = await BatchRun.RunAsync(options);

        Assert.Equal(5, summary.Instances);
        Assert.False(File.Exists(options.OutputDataPath + ".partial"));
        AssertPrefix(options.OutputDataPath, 5);
        Assert.Equal(5, File.ReadAllLines(options.OutputDataPath).Length);
    }

    [Fact]
    public async Task Resume_of_a_completed_run_does_nothing()
    {
        var options = await FilesAsync(Options(_fixture.Server, "rest"), 5);
        await BatchRun.RunAsync(options);
        var before = await File.ReadAllTextAsync(options.OutputDataPath);
        var requests = _fixture.Server.Statistics.Requests;

        var summary = await BatchRun.RunAsync(options with { Resume = true });

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(0, summary.Instances);
        Assert.Equal(requests, _fixture.Server.Statistics.Requests);
        Assert.Equal(before, await File.ReadAllTextAsync(options.OutputDataPath));
    }

    [Fact]
    public async Task A_failure_count_over_the_limit_stops_the_run_early()
    {
        // Answers take 5 ms: on a busy machine a model that answers at once lets the network produce all 500 results
        // before the writer reaches the fourth failure, and results already produced are written.
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 5 });
        var options = await FilesAsync(Options(slow, "rest").WithBlock(b => b with { Workers = 1 }) with { MaxFailures = FailureLimit.OfCount(3) }, 500, i => i % 10 == 5 ? "oops" : $"[[{i}]]");

        var summary = await BatchRun.RunAsync(options);

        Assert.Equal(RunOutcome.Stopped, summary.Outcome);
        Assert.Contains("more than MaxFailures 3", summary.StopReason);
        Assert.InRange(summary.Instances, 36, 499);
        Assert.False(File.Exists(options.OutputDataPath));
        AssertPrefix(options.OutputDataPath + ".partial", 36);
    }

    [Fact]
    public async Task A_failure_share_is_judged_at_the_end_of_a_short_run()
    {
        var options = await FilesAsync(Options(_fixture.Server, "rest") with { MaxFailures = FailureLimit.OfPercent(10) }, 20, i => i < 5 ? "bad" : $"[[{i}]]");

        var summary = await BatchRun.RunAsync(options);

        Assert.Equal(RunOutcome.Stopped, summary.Outcome);
        Assert.Contains("5 of 20 lines failed", summary.StopReason);
        Assert.True(File.Exists(options.OutputDataPath), "the output is complete, so it is in place");
    }

    [Fact]
    public async Task A_failure_share_under_the_limit_completes()
    {
        var options = await FilesAsync(Options(_fixture.Server, "rest") with { MaxFailures = FailureLimit.OfPercent(30) }, 20, i => i < 5 ? "bad" : $"[[{i}]]");

        var summary = await BatchRun.RunAsync(options);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(5, summary.Failed);
    }

    [Fact]
    public async Task The_summary_file_has_counts_failures_by_reason_and_latencies()
    {
        var options = await FilesAsync(Options(_fixture.Server, "rest") with { SummaryPath = PathOf("summary.json") }, 12, i => i switch
        {
            3 => "",
            7 => "{broken",
            _ => $"[[{i}]]",
        });

        var summary = await BatchRun.RunAsync(options);

        var json = JsonNode.Parse(await File.ReadAllTextAsync(PathOf("summary.json")))!;
        Assert.Equal("completed", json["outcome"]!.GetValue<string>());
        Assert.Equal(12, json["instances"]!.GetValue<long>());
        Assert.Equal(10, json["succeeded"]!.GetValue<long>());
        Assert.Equal(2, json["failed"]!.GetValue<long>());
        Assert.Equal(1, json["failed_by_reason"]!["blank line"]!.GetValue<long>());
        Assert.Equal(1, json["failed_by_reason"]!["invalid JSON"]!.GetValue<long>());
        Assert.Equal(10, json["requests"]!.GetValue<long>());
        Assert.True(json["latency_ms"]!["p50"]!.GetValue<double>() > 0);
        Assert.True(json["latency_ms"]!["p99"]!.GetValue<double>() >= json["latency_ms"]!["p50"]!.GetValue<double>());
        Assert.Equal(options.OutputDataPath, json["output_path"]!.GetValue<string>());
        Assert.Equal(summary.Instances, json["instances"]!.GetValue<long>());
    }
}
