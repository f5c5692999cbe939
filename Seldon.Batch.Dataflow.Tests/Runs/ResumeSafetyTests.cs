using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>A rerun continues only a partial output of this input and these settings (refusing and keeping any other,
/// which --restart discards), --resume and --retry-failed keep only a complete output of this input, they count what
/// they keep, and a stop at once leaves a prefix a rerun continues; progress ends at 100% on success. Real runs against
/// the built-in server.</summary>
[Trait("Category", "Integration")]
public sealed class ResumeSafetyTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private const int InputLines = 40;
    private readonly DemoServerFixture _fixture;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-safe-");

    public ResumeSafetyTests(DemoServerFixture fixture) => _fixture = fixture;

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private string Input => PathOf("input.txt");

    private string Output => PathOf("output.txt");

    private BatchOptions OptionsFor(DemoModelServer server, string transport = "rest") =>
        Options(server, transport).WithBlock(b => b with { BatchId = "safe" }) with { InputDataPath = Input, OutputDataPath = Output };

    private const string OneValueInTheMiddle = "one value in the middle";

    private static string Line(int i) => $"[[{i}, {i % 5}]]";

    /// <summary>Line <paramref name="i"/> of a longer input: about 100 bytes, so that 40 lines are more than the first and
    /// last KiB an older fingerprint hashed, and a value edited in line 20 lies between them.</summary>
    private static string LongLine(int i) => $"[[{i}, {i % 5}{string.Concat(Enumerable.Repeat(", 1000", 14))}]]";

    /// <summary>The lines of the input that <paramref name="other"/> is another of (<see cref="WriteOtherInputAsync"/>).</summary>
    private static Func<int, string> LinesFor(string other) => other == OneValueInTheMiddle ? LongLine : Line;

    private Task WriteInputAsync(IEnumerable<string> lines) => File.WriteAllLinesAsync(Input, lines);

    /// <summary>Another input than the 40 lines of <see cref="Line"/>: shorter, longer, as long with other values, or
    /// the input of <see cref="LongLine"/>s as it is but for one value in line 20 (same size, same first and last KiB).</summary>
    private async Task WriteOtherInputAsync(string kind) => await WriteInputAsync(kind switch
    {
        "shorter" => Enumerable.Range(0, InputLines - 10).Select(Line),
        "longer" => Enumerable.Range(0, InputLines + 10).Select(Line),
        OneValueInTheMiddle => (await File.ReadAllLinesAsync(Input)).Select((line, i) => i == 20 ? line.Replace(", 1000]]", ", 2000]]", StringComparison.Ordinal) : line),
        _ => Enumerable.Range(0, InputLines).Select(i => Line(i + 1000)),
    });

    /// <summary>Runs the input to a reference output of the fault-free server, for comparison.</summary>
    private async Task<string[]> ReferenceAsync(string transport = "rest")
    {
        var summary = await BatchRun.RunAsync(OptionsFor(_fixture.Server, transport) with { OutputDataPath = PathOf("reference.txt") });
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        File.Delete(RunRecord.CompletePathOf(PathOf("reference.txt")));
        return await File.ReadAllLinesAsync(PathOf("reference.txt"));
    }

    /// <summary>Writes the input, its reference output, and its output through a server that refuses some requests
    /// (answered 400: error records).</summary>
    private async Task<(string[] Reference, RunSummary First)> OutputWithRefusalsAsync(ServeOptions refusals, string transport = "rest", int workers = 4)
    {
        await WriteInputAsync(Enumerable.Range(0, InputLines).Select(Line));
        var reference = await ReferenceAsync(transport);
        await using var refusing = await DemoModelServer.StartAsync(refusals);
        var first = await BatchRun.RunAsync(OptionsFor(refusing, transport).WithBlock(b => b with { Workers = workers }));
        Assert.Equal(RunOutcome.Completed, first.Outcome);
        return (reference, first);
    }

    /// <summary>A run stopped by --max-failures 0 at the bad line 3 of the input of <paramref name="line"/>s (by default
    /// <see cref="Line"/>): a side file with a prefix and its record. The model answers slowly enough that the stop
    /// comes long before the last line.</summary>
    private async Task<RunSummary> StopEarlyAsync(Func<int, string>? line = null)
    {
        await WriteInputAsync(Enumerable.Range(0, InputLines).Select(i => i == 3 ? "oops" : (line ?? Line)(i)));
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 50 });
        var stopped = await BatchRun.RunAsync(OptionsFor(slow).WithBlock(b => b with { Workers = 1 }) with { MaxFailures = FailureLimit.OfCount(0) });
        Assert.Equal(RunOutcome.Stopped, stopped.Outcome);
        Assert.True(File.Exists(PartialOutput.SidePathOf(Output)));
        return stopped;
    }

    [Theory]
    [InlineData("shorter")]
    [InlineData("longer")]
    [InlineData("same length")]
    [InlineData(OneValueInTheMiddle)]
    public async Task Resume_refuses_the_complete_output_of_another_input(string other)
    {
        await WriteInputAsync(Enumerable.Range(0, InputLines).Select(LinesFor(other)));
        Assert.Equal(RunOutcome.Completed, (await BatchRun.RunAsync(OptionsFor(_fixture.Server))).Outcome);
        var before = await File.ReadAllTextAsync(Output);
        await WriteOtherInputAsync(other);
        var requests = _fixture.Server.Statistics.Requests;

        var error = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(OptionsFor(_fixture.Server) with { Resume = true }));

        Assert.StartsWith("Resume:", error.Message);
        Assert.Equal(nameof(BatchOptions.Resume), error.Property);
        Assert.Contains("another input", error.Message);
        Assert.Equal(before, await File.ReadAllTextAsync(Output));
        Assert.Equal(requests, _fixture.Server.Statistics.Requests);
    }

    [Theory]
    [InlineData("shorter", false)]
    [InlineData("longer", false)]
    [InlineData("same length", false)]
    [InlineData(OneValueInTheMiddle, false)]
    [InlineData(OneValueInTheMiddle, true)]
    public async Task A_rerun_refuses_the_partial_output_of_another_input_and_keeps_it(string other, bool resume)
    {
        await StopEarlyAsync(LinesFor(other));
        var side = PartialOutput.SidePathOf(Output);
        var before = await File.ReadAllTextAsync(side);
        var record = await File.ReadAllTextAsync(RunRecord.PartialPathOf(Output));
        await WriteOtherInputAsync(other);
        var requests = _fixture.Server.Statistics.Requests;

        var error = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(OptionsFor(_fixture.Server) with { Resume = resume }));

        Assert.StartsWith($"{side} ", error.Message);
        Assert.Contains("another input", error.Message);
        Assert.EndsWith(": delete it or pass Restart to discard it", error.Message);
        Assert.Equal(nameof(BatchOptions.Restart), error.Property);
        Assert.Equal(before, await File.ReadAllTextAsync(side));
        Assert.Equal(record, await File.ReadAllTextAsync(RunRecord.PartialPathOf(Output)));
        Assert.Equal(requests, _fixture.Server.Statistics.Requests);
    }

    [Theory]
    [InlineData(nameof(PredictionBlockOptions.BatchSize), "BatchSize 1, not 4")]
    [InlineData(nameof(EndpointSettings.DeploymentName), "DeploymentName 'demo', not 'other'")]
    [InlineData(nameof(PredictionBlockOptions.DataType), "DataType data, not raw")]
    public async Task A_rerun_with_other_settings_refuses_the_partial_output_and_keeps_it(string setting, string difference)
    {
        await StopEarlyAsync();
        var side = PartialOutput.SidePathOf(Output);
        var before = await File.ReadAllTextAsync(side);
        var options = setting switch
        {
            nameof(PredictionBlockOptions.BatchSize) => OptionsFor(_fixture.Server).WithBlock(b => b with { BatchSize = 4 }),
            nameof(EndpointSettings.DeploymentName) => OptionsFor(_fixture.Server).WithEndpoint(e => e with { DeploymentName = "other" }),
            _ => OptionsFor(_fixture.Server).WithBlock(b => b with { DataType = DataType.Raw }),
        };

        var error = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options));

        Assert.Equal($"{side} holds a partial output made with other settings ({difference}): delete it or pass Restart to discard it", error.Message);
        Assert.Equal([nameof(BatchOptions.Restart), setting], error.Properties);
        Assert.Equal(before, await File.ReadAllTextAsync(side));
    }

    [Fact]
    public async Task A_rerun_with_other_workers_retries_timeout_and_host_continues_the_partial_output()
    {
        var stopped = await StopEarlyAsync();
        var reference = await ReferenceAsync();
        // The same model on another server: what is sent and answered is the same.
        await using var another = await DemoModelServer.StartAsync(new ServeOptions());
        var options = OptionsFor(another).WithEndpoint(e => e with { Timeout = TimeSpan.FromSeconds(33) }).WithBlock(b => b with { Workers = 7, MaxAttempts = 5 });

        var summary = await BatchRun.RunAsync(options);

        Assert.Equal((RunOutcome.Completed, stopped.Instances), (summary.Outcome, summary.ResumedLines));
        Assert.Equal(reference.Select(WithoutInstanceId), (await File.ReadAllLinesAsync(Output)).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task Resume_refuses_a_partial_output_without_record_that_is_longer_than_the_input()
    {
        var stopped = await StopEarlyAsync();
        File.Delete(RunRecord.PartialPathOf(Output));
        await WriteInputAsync(Enumerable.Range(0, 2).Select(Line));

        var error = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(OptionsFor(_fixture.Server) with { Resume = true }));

        Assert.Contains($"has {stopped.Instances} lines but the input", error.Message);
    }

    [Fact]
    public async Task A_resume_stopped_while_checking_changes_nothing_and_is_interrupted()
    {
        await StopEarlyAsync();
        var before = await File.ReadAllTextAsync(PartialOutput.SidePathOf(Output));
        using var stopped = new CancellationTokenSource();
        await stopped.CancelAsync();

        var summary = await BatchRun.RunAsync(OptionsFor(_fixture.Server) with { Resume = true }, cancellationToken: stopped.Token);

        Assert.Equal(RunOutcome.Interrupted, summary.Outcome);
        Assert.Equal(before, await File.ReadAllTextAsync(PartialOutput.SidePathOf(Output)));
    }

    [Fact]
    public async Task A_complete_output_keeps_a_record_of_its_input_and_resuming_it_has_nothing_to_do()
    {
        await WriteInputAsync(Enumerable.Range(0, InputLines).Select(Line));
        await BatchRun.RunAsync(OptionsFor(_fixture.Server));
        var record = JsonNode.Parse(await File.ReadAllTextAsync(RunRecord.CompletePathOf(Output)))!;
        var requests = _fixture.Server.Statistics.Requests;
        var logs = new RecordingLoggerFactory();

        var summary = await BatchRun.RunAsync((OptionsFor(_fixture.Server) with { Resume = true }).LoggingTo(logs));

        Assert.Equal(InputLines, record["lines"]!.GetValue<long>());
        Assert.Equal("safe", record["batch_id"]!.GetValue<string>());
        Assert.Equal(new FileInfo(Input).Length, record["input"]!["size"]!.GetValue<long>());
        Assert.False(File.Exists(RunRecord.PartialPathOf(Output)));
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(0, summary.Instances);
        Assert.Equal(requests, _fixture.Server.Statistics.Requests);
        Assert.Contains(logs.Messages, m => m.Message.StartsWith("Nothing to resume", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_resumed_run_counts_the_error_records_of_its_prefix()
    {
        var stopped = await StopEarlyAsync();
        Assert.InRange(stopped.Instances, 4, InputLines - 1);

        var resumed = await BatchRun.RunAsync(OptionsFor(_fixture.Server) with { Resume = true, SummaryPath = PathOf("summary.json") });

        Assert.Equal(RunOutcome.Completed, resumed.Outcome);
        Assert.Equal(stopped.Instances, resumed.ResumedLines);
        Assert.Equal(InputLines, resumed.ResumedLines + resumed.Instances);
        Assert.Equal(1, resumed.Failed);
        Assert.Equal(InputLines - 1, resumed.Succeeded);
        Assert.Equal(1, resumed.FailuresByKind["invalid JSON"]);
        var json = JsonNode.Parse(await File.ReadAllTextAsync(PathOf("summary.json")))!;
        Assert.Equal(1, json["failed"]!.GetValue<long>());
        Assert.Equal(1, json["failed_by_reason"]!["invalid JSON"]!.GetValue<long>());
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Retry_failed_sends_only_the_error_lines_again_and_replaces_them_in_place(string transport)
    {
        var (reference, first) = await OutputWithRefusalsAsync(new ServeOptions { FailFirst = 6, FailStatus = 400 }, transport);
        Assert.Equal(6, first.Failed);

        var before = await File.ReadAllLinesAsync(Output);
        var failed = Enumerable.Range(0, InputLines).Where(k => IsError(JsonNode.Parse(before[k])!.AsObject())).ToArray();
        Assert.Equal(6, failed.Length);

        // Some lines fail again: they stay error records, with their new reason.
        await using (var halfWell = await DemoModelServer.StartAsync(new ServeOptions { FailFirst = 2, FailStatus = 400 }))
        {
            var retry = await BatchRun.RunAsync(OptionsFor(halfWell, transport) with { RetryFailed = true });
            Assert.Equal(RunOutcome.Completed, retry.Outcome);
            Assert.Equal((6, 4, 2, InputLines - 2), (retry.RetriedLines, retry.FixedLines, retry.Failed, retry.Succeeded));
            Assert.Equal(6, halfWell.Statistics.Requests);
        }

        var middle = await File.ReadAllLinesAsync(Output);
        Assert.Equal(2, middle.Count(l => IsError(JsonNode.Parse(l)!.AsObject())));
        Assert.Equal(2, failed.Count(k => IsError(JsonNode.Parse(middle[k])!.AsObject()) && middle[k] != before[k]));

        var requests = _fixture.Server.Statistics.Requests;
        var last = await BatchRun.RunAsync(OptionsFor(_fixture.Server, transport) with { RetryFailed = true });

        Assert.Equal((2, 2, 0, InputLines), (last.RetriedLines, last.FixedLines, last.Failed, last.Succeeded));
        Assert.Equal(requests + 2, _fixture.Server.Statistics.Requests);
        var after = await File.ReadAllLinesAsync(Output);
        Assert.Equal(reference.Select(WithoutInstanceId), after.Select(WithoutInstanceId));
        for (var k = 0; k < InputLines; k++)
        {
            if (!failed.Contains(k))
            {
                Assert.Equal(before[k], after[k]); // never sent again: kept byte for byte
            }
        }

        Assert.False(File.Exists(Output + ".retry"));
        Assert.False(File.Exists(PartialOutput.SidePathOf(Output)));
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Retry_failed_micro_batches_lines_that_are_not_neighbours(string transport)
    {
        var (reference, first) = await OutputWithRefusalsAsync(new ServeOptions { FailEvery = 5, FailStatus = 400 }, transport, workers: 1);
        Assert.Equal(8, first.Failed);

        // Every fifth request is refused: lines 4, 9, 14… as a rule. With one worker the requests still go in line order
        // only as far as the lines reach the wire in it (a freed place goes to the earliest line waiting, and a later one
        // may be waiting first), so a refused line may be its neighbour's; never two neighbours.
        var failed = (await File.ReadAllLinesAsync(Output)).Select((l, k) => (l, k)).Where(x => IsError(JsonNode.Parse(x.l)!.AsObject())).Select(x => x.k).ToArray();
        Assert.Equal(8, failed.Length);
        Assert.All(failed.Zip(failed.Skip(1)), pair => Assert.True(pair.Second - pair.First > 1, $"lines {pair.First} and {pair.Second} both failed"));
        var requests = _fixture.Server.Statistics.Requests;

        var retry = await BatchRun.RunAsync(OptionsFor(_fixture.Server, transport).WithBlock(b => b with { BatchSize = 4 }) with { RetryFailed = true });

        Assert.Equal((8L, 8L, 2L), (retry.RetriedLines, retry.FixedLines, _fixture.Server.Statistics.Requests - requests));
        Assert.Equal(reference.Select(WithoutInstanceId), (await File.ReadAllLinesAsync(Output)).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task An_interrupted_retry_leaves_the_output_as_it_was()
    {
        Assert.Equal(6, (await OutputWithRefusalsAsync(new ServeOptions { FailFirst = 6, FailStatus = 400 })).First.Failed);

        var before = await File.ReadAllTextAsync(Output);
        await using var stalled = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 60_000 });
        using var stop = new CancellationTokenSource();
        var retry = BatchRun.RunAsync(OptionsFor(stalled).WithBlock(b => b with { Workers = 2, CancellationToken = stop.Token }) with { RetryFailed = true }, cancellationToken: stop.Token);
        var waited = Task.Delay(TimeSpan.FromSeconds(60));
        while (stalled.Statistics.Requests < 2 && !waited.IsCompleted)
        {
            await Task.Delay(20);
        }

        await stop.CancelAsync();
        var summary = await retry.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.Equal((RunOutcome.Interrupted, 0L, 0L), (summary.Outcome, summary.RetriedLines, summary.FixedLines));
        Assert.Equal(Output, summary.OutputPath);
        Assert.Equal(before, await File.ReadAllTextAsync(Output));
        Assert.False(File.Exists(Output + ".retry"));
    }

    [Fact]
    public async Task Retry_failed_with_no_error_records_has_nothing_to_do()
    {
        await WriteInputAsync(Enumerable.Range(0, InputLines).Select(Line));
        await BatchRun.RunAsync(OptionsFor(_fixture.Server));
        var requests = _fixture.Server.Statistics.Requests;

        var summary = await BatchRun.RunAsync(OptionsFor(_fixture.Server) with { RetryFailed = true });

        Assert.Equal((RunOutcome.Completed, 0L, 0L), (summary.Outcome, summary.Instances, summary.RetriedLines));
        Assert.Equal(requests, _fixture.Server.Statistics.Requests);
    }

    [Fact]
    public async Task Retry_failed_refuses_an_unfinished_output_and_the_output_of_another_input()
    {
        await StopEarlyAsync();
        var unfinished = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(OptionsFor(_fixture.Server) with { RetryFailed = true }));
        Assert.Contains("finish it with Resume first", unfinished.Message);
        Assert.Equal([nameof(BatchOptions.RetryFailed), nameof(BatchOptions.Resume)], unfinished.Properties);

        Assert.Equal(RunOutcome.Completed, (await BatchRun.RunAsync(OptionsFor(_fixture.Server) with { Resume = true })).Outcome);
        await WriteOtherInputAsync("same length");
        var foreign = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(OptionsFor(_fixture.Server) with { RetryFailed = true }));
        Assert.StartsWith("RetryFailed:", foreign.Message);
        Assert.Contains("another input", foreign.Message);
    }

    [Fact]
    public async Task A_plain_rerun_continues_the_partial_output_and_says_so()
    {
        var stopped = await StopEarlyAsync();
        var reference = await ReferenceAsync();
        var requests = _fixture.Server.Statistics.Requests;
        var logs = new RecordingLoggerFactory();

        var rerun = await BatchRun.RunAsync(OptionsFor(_fixture.Server).LoggingTo(logs));

        Assert.Equal(RunOutcome.Completed, rerun.Outcome);
        Assert.Equal((stopped.Instances, InputLines - stopped.Instances), (rerun.ResumedLines, rerun.Instances));
        Assert.Equal(InputLines - stopped.Instances, _fixture.Server.Statistics.Requests - requests);
        var said = Assert.Single(logs.Messages, m => m.Message.StartsWith("Continuing", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Information, said.Level);
        Assert.StartsWith(
            $"Continuing the partial output {PartialOutput.SidePathOf(Output)} of batch safe: {stopped.Instances} lines kept (1 of them error records)", said.Message);
        Assert.DoesNotContain(logs.Messages, m => m.Level >= LogLevel.Warning && !m.Message.StartsWith("Line 3 failed", StringComparison.Ordinal));
        Assert.Equal(reference.Select(WithoutInstanceId), (await File.ReadAllLinesAsync(Output)).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task Restart_discards_the_partial_output_of_another_input_and_says_so()
    {
        var stopped = await StopEarlyAsync(LongLine);
        await WriteOtherInputAsync(OneValueInTheMiddle);
        var reference = await ReferenceAsync();
        var logs = new RecordingLoggerFactory();

        var rerun = await BatchRun.RunAsync((OptionsFor(_fixture.Server) with { Restart = true }).LoggingTo(logs));

        Assert.Equal((RunOutcome.Completed, 0L, InputLines), (rerun.Outcome, rerun.ResumedLines, rerun.Instances));
        var warning = Assert.Single(logs.Messages, m => m.Message.StartsWith("Discarding", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal($"Discarding {stopped.Instances} lines of the partial output {PartialOutput.SidePathOf(Output)}: starting from the first line, as asked", warning.Message);
        Assert.Equal(reference.Select(WithoutInstanceId), (await File.ReadAllLinesAsync(Output)).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task A_partial_output_of_a_gzip_input_is_continued_its_fingerprint_being_of_the_stored_bytes()
    {
        // The fresh run hashes the stored bytes alone; the continued one hashes them while it decodes them to count the
        // lines: both must come to the same fingerprint, and the count must be of the decoded lines.
        var lines = Enumerable.Range(0, InputLines).Select(i => i == 3 ? "oops" : Line(i)).ToArray();
        await using (var gzip = new System.IO.Compression.GZipStream(File.Create(Input), System.IO.Compression.CompressionLevel.Fastest))
        {
            await gzip.WriteAsync(System.Text.Encoding.UTF8.GetBytes(string.Join("\n", lines) + "\n"));
        }

        var options = OptionsFor(_fixture.Server) with { InputCompression = Dataflow.InputCompression.Gzip };
        var reference = await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.txt") });
        Assert.Equal(RunOutcome.Completed, reference.Outcome);
        RunSummary stopped;
        await using (var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 50 }))
        {
            stopped = await BatchRun.RunAsync(options.WithEndpoint(e => e with { Host = $"127.0.0.1:{slow.RestPort}" }).WithBlock(b => b with { Workers = 1 }) with { MaxFailures = FailureLimit.OfCount(0) });
        }

        Assert.Equal(RunOutcome.Stopped, stopped.Outcome);
        var record = JsonNode.Parse(await File.ReadAllTextAsync(RunRecord.PartialPathOf(Output)))!;
        Assert.Equal(new FileInfo(Input).Length, record["input"]!["size"]!.GetValue<long>());
        var logs = new RecordingLoggerFactory();

        var rerun = await BatchRun.RunAsync(options.LoggingTo(logs));

        Assert.Equal((RunOutcome.Completed, stopped.Instances, InputLines - stopped.Instances), (rerun.Outcome, rerun.ResumedLines, rerun.Instances));
        Assert.Contains(logs.Messages, m => m.Message.Contains($"continuing from line {stopped.Instances} of {InputLines}", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Messages, m => m.Message.Contains("older version", StringComparison.Ordinal));
        Assert.Equal(
            (await File.ReadAllLinesAsync(PathOf("reference.txt"))).Select(WithoutInstanceId),
            (await File.ReadAllLinesAsync(Output)).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task A_partial_output_recorded_by_an_older_version_is_continued_with_warnings()
    {
        var stopped = await StopEarlyAsync();
        var recordAt = RunRecord.PartialPathOf(Output);
        var current = JsonNode.Parse(await File.ReadAllTextAsync(recordAt))!;
        Assert.NotNull(current["input"]!["xxh128"]);
        Assert.Equal(1, current["settings"]!["batch_size"]!.GetValue<int>());
        // What an older version wrote: the hash of the first and last KiB, no settings.
        await File.WriteAllTextAsync(recordAt, $$"""{"batch_id":"safe","input":{"path":"{{Input}}","size":{{new FileInfo(Input).Length}},"head_tail_sha256":"00ff"},"lines":null}""");
        var reference = await ReferenceAsync();
        var logs = new RecordingLoggerFactory();

        var rerun = await BatchRun.RunAsync(OptionsFor(_fixture.Server).LoggingTo(logs));

        Assert.Equal((RunOutcome.Completed, stopped.Instances), (rerun.Outcome, rerun.ResumedLines));
        Assert.Equal(reference.Select(WithoutInstanceId), (await File.ReadAllLinesAsync(Output)).Select(WithoutInstanceId));
        var warnings = logs.Messages.Where(m => m.Level == LogLevel.Warning).Select(m => m.Message).ToList();
        Assert.Contains(warnings, m => m.Contains("records its input as an older version did", StringComparison.Ordinal));
        Assert.Contains(warnings, m => m.Contains("records no settings", StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Message.StartsWith($"Continuing the partial output {PartialOutput.SidePathOf(Output)} of batch safe: {stopped.Instances} lines kept", StringComparison.Ordinal));
        var complete = JsonNode.Parse(await File.ReadAllTextAsync(RunRecord.CompletePathOf(Output)))!;
        Assert.Equal(current["input"]!.ToJsonString(), complete["input"]!.ToJsonString());
        Assert.Equal(current["settings"]!.ToJsonString(), complete["settings"]!.ToJsonString());
    }

    [Fact]
    public async Task A_partial_output_without_a_line_is_replaced_whatever_made_it()
    {
        // A wrong deployment name behind a gateway: the run stops before any line is written.
        await WriteInputAsync(Enumerable.Range(0, InputLines).Select(Line));
        await using (var gateway = await DemoModelServer.StartAsync(new ServeOptions { AnswerStatus = 404 }))
        {
            var stopped = await BatchRun.RunAsync(OptionsFor(gateway).WithEndpoint(e => e with { DeploymentName = "misspelt" }));
            Assert.Equal((RunOutcome.Stopped, 0L), (stopped.Outcome, stopped.Instances));
        }

        var fixedName = await BatchRun.RunAsync(OptionsFor(_fixture.Server));

        Assert.Equal((RunOutcome.Completed, 0L, InputLines), (fixedName.Outcome, fixedName.ResumedLines, fixedName.Instances));
    }

    [Fact]
    public async Task A_plain_rerun_replaces_a_complete_output()
    {
        // The model changed since (it refused lines then): a plain rerun makes the output anew.
        var (reference, first) = await OutputWithRefusalsAsync(new ServeOptions { FailFirst = 6, FailStatus = 400 });
        Assert.Equal(6, first.Failed);
        var logs = new RecordingLoggerFactory();

        var rerun = await BatchRun.RunAsync(OptionsFor(_fixture.Server).LoggingTo(logs));

        Assert.Equal((RunOutcome.Completed, InputLines, 0L), (rerun.Outcome, rerun.Instances, rerun.Failed));
        Assert.Equal(reference.Select(WithoutInstanceId), (await File.ReadAllLinesAsync(Output)).Select(WithoutInstanceId));
        Assert.Contains(logs.Messages, m => m.Message == $"{Output} exists: this run replaces it once it completes");
    }

    [Theory]
    [InlineData(nameof(BatchOptions.Resume))]
    [InlineData(nameof(BatchOptions.RetryFailed))]
    public void Restart_does_not_go_with_what_keeps_an_output(string other)
    {
        var options = OptionsFor(_fixture.Server) with { Restart = true, Resume = other == nameof(BatchOptions.Resume), RetryFailed = other == nameof(BatchOptions.RetryFailed) };

        var error = Assert.Throws<InvalidBatchOptionsException>(() => options.Validate(checkFiles: false));

        Assert.Equal([nameof(BatchOptions.Restart), other], error.Properties);
        Assert.StartsWith($"Restart and {other} do not go together", error.Message);
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task A_stop_at_once_abandons_requests_in_flight_and_resume_completes_the_output(string transport)
    {
        await WriteInputAsync(TenFailingLinesFirst);
        var reference = await ReferenceAsync(transport);
        await using var stalled = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 60_000 });
        using var graceful = new CancellationTokenSource();
        using var now = new CancellationTokenSource();
        var stalling = await StallAfterTenErrorRecordsAsync(stalled, transport, graceful.Token, now.Token);

        await graceful.CancelAsync();
        await now.CancelAsync();
        // The requests in flight would take a minute and the graceful stop would wait five: only the stop at once ends it.
        var interrupted = await stalling.Run.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.Equal(RunOutcome.Interrupted, interrupted.Outcome);
        Assert.Equal(10, (await File.ReadAllLinesAsync(PartialOutput.SidePathOf(Output))).Length);
        var resumed = await BatchRun.RunAsync(OptionsFor(_fixture.Server, transport) with { Resume = true });
        Assert.Equal((RunOutcome.Completed, 10L, 10L), (resumed.Outcome, resumed.ResumedLines, resumed.Failed));
        Assert.Equal(reference.Select(WithoutInstanceId), (await File.ReadAllLinesAsync(Output)).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task A_graceful_stop_abandons_the_requests_in_flight_once_the_shutdown_timeout_is_over_on_the_runs_clock()
    {
        await WriteInputAsync(TenFailingLinesFirst);
        await using var stalled = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 60_000 });
        using var graceful = new CancellationTokenSource();
        var stalling = await StallAfterTenErrorRecordsAsync(stalled, "rest", graceful.Token, CancellationToken.None);

        await graceful.CancelAsync();
        // Five minutes of the run's clock later, not of the machine's: the two requests still wait for their answer.
        Assert.False(stalling.Run.IsCompleted, "the run ended before its shutdown timeout");
        stalling.Clock.Advance(TimeSpan.FromMinutes(5));
        var interrupted = await stalling.Run.WaitAsync(TimeSpan.FromSeconds(40));

        Assert.Equal((RunOutcome.Interrupted, 10L, 2L), (interrupted.Outcome, interrupted.Instances, stalled.Statistics.Requests));
        Assert.Equal(stalling.Elapsed + TimeSpan.FromMinutes(5), interrupted.Elapsed);
        Assert.Equal(10, (await File.ReadAllLinesAsync(PartialOutput.SidePathOf(Output))).Length);
    }

    /// <summary>Ten lines that fail without a request, then lines a model answers.</summary>
    private static IEnumerable<string> TenFailingLinesFirst => Enumerable.Range(0, InputLines).Select(i => i < 10 ? "not json" : Line(i));

    /// <summary>Starts a run on a fake clock over <see cref="TenFailingLinesFirst"/>, whose other lines
    /// <paramref name="stalled"/> answers only after a minute, and returns once the ten error records are in the side
    /// file and two requests are on the wire: the side file is flushed each second of the run's clock although no line
    /// comes after them, and progress is reported on each of those seconds.</summary>
    private async Task<(Task<RunSummary> Run, FakeTimeProvider Clock, TimeSpan Elapsed)> StallAfterTenErrorRecordsAsync(
        DemoModelServer stalled, string transport, CancellationToken graceful, CancellationToken now)
    {
        var clock = new FakeTimeProvider();
        var reports = new ProgressChannel();
        var options = OptionsFor(stalled, transport).WithEndpoint(e => e with { Timeout = TimeSpan.FromMinutes(10) }).WithBlock(b => b with { Workers = 2 }) with { ShutdownTimeout = TimeSpan.FromMinutes(5) };
        var client = PredictionClients.Create(options.Endpoint);
        var run = BatchRun.RunAsync(options.WithBlock(b => b with { TimeProvider = clock, CancellationToken = now }), client, progress: reports, cancellationToken: graceful);
        _ = run.ContinueWith(_ => client.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);

        var waited = Task.Delay(TimeSpan.FromSeconds(60));
        while (stalled.Statistics.Requests < 2 && !waited.IsCompleted)
        {
            await Task.Delay(20);
        }

        Assert.Equal(2, stalled.Statistics.Requests);
        // The error records cross the network on the machine's time, however slowly a busy machine runs it: each second
        // of the run's clock gets its report, until one says they are written.
        var elapsed = TimeSpan.Zero;
        var deadline = Task.Delay(TimeSpan.FromSeconds(60));
        while (true)
        {
            clock.Advance(TimeSpan.FromSeconds(1));
            elapsed += TimeSpan.FromSeconds(1);
            var report = await reports.NextAsync();
            Assert.Equal(elapsed, report.Elapsed);
            if (report.LinesWritten == 10)
            {
                break;
            }

            Assert.False(deadline.IsCompleted, "the ten error records were not written");
            await Task.Delay(20);
        }

        // The flush of the next second writes what the writer held when the report was taken.
        clock.Advance(TimeSpan.FromSeconds(1));
        elapsed += TimeSpan.FromSeconds(1);
        Assert.Equal(10, (await File.ReadAllLinesAsync(PartialOutput.SidePathOf(Output))).Length);
        return (run, clock, elapsed);
    }

    [Fact]
    public async Task The_last_progress_report_of_a_completed_run_is_100_percent_of_the_lines_written()
    {
        await WriteInputAsync(Enumerable.Range(0, 300).Select(Line));
        var reports = new ProgressRecorder();

        var summary = await BatchRun.RunAsync(OptionsFor(_fixture.Server), progress: reports);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        var last = reports.Last!;
        Assert.Equal((300L, 1.0, TimeSpan.Zero), (last.LinesWritten, last.Fraction, last.Remaining));
    }

    [Fact]
    public async Task A_resumed_run_reports_progress_over_the_whole_input()
    {
        var stopped = await StopEarlyAsync();
        var reports = new ProgressRecorder();

        await BatchRun.RunAsync(OptionsFor(_fixture.Server) with { Resume = true }, progress: reports);

        Assert.Equal((InputLines, 1.0, 1L), (reports.Last!.LinesWritten, reports.Last.Fraction, reports.Last.Failed));
        Assert.True(reports.First!.LinesWritten >= stopped.Instances);
    }

    /// <summary>Keeps the reports as they come (<see cref="Progress{T}"/> would post them later, elsewhere).</summary>
    private sealed class ProgressRecorder : IProgress<RunProgress>
    {
        private readonly Lock _lock = new();

        public RunProgress? First { get; private set; }

        public RunProgress? Last { get; private set; }

        public void Report(RunProgress value)
        {
            lock (_lock)
            {
                First ??= value;
                Last = value;
            }
        }
    }
}
