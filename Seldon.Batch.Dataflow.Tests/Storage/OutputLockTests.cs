using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Storage;

/// <summary>One run per local output: a second run on the same output (or shard's part), fresh, resumed or retrying,
/// is refused at once naming the first and touching nothing, while the first writes the whole output; the lock is the
/// kernel's, so a killed holder leaves nothing that blocks. The first run is held mid-run by a <see cref="GatedProxy"/>
/// in front of the model, so the runs surely overlap.</summary>
[Trait("Category", "Integration")]
public sealed class OutputLockTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly DemoServerFixture _model;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-lock-");

    public OutputLockTests(DemoServerFixture model) => _model = model;

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private async Task<BatchOptions> FilesAsync(int port, int lines)
    {
        var input = PathOf("input.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, lines).Select(i => $"[[{i}, {i % 7}]]"));
        return Options(port, "rest").WithBlock(b => b with { BatchSize = 4, Workers = 2 }) with { InputDataPath = input, OutputDataPath = PathOf("output.txt") };
    }

    /// <summary>What one run alone writes for <paramref name="options"/> with the batch id <paramref name="batchId"/>.</summary>
    private async Task<string[]> ReferenceAsync(BatchOptions options, string batchId)
    {
        var path = PathOf($"reference-{batchId}.txt");
        var summary = await BatchRun.RunAsync(options.WithEndpoint(e => e with { Host = $"127.0.0.1:{_model.Server.RestPort}" }).WithBlock(b => b with { BatchId = batchId }) with { OutputDataPath = path, Resume = false });
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        return (await File.ReadAllLinesAsync(path)).Select(WithoutInstanceId).ToArray();
    }

    private static void AssertNamesThisProcess(OutputInUseException refused, string output, string batchId)
    {
        Assert.StartsWith(
            $"{output} is being written by another run (pid {Environment.ProcessId} on {Environment.MachineName} since ", refused.Message, StringComparison.Ordinal);
        Assert.Contains($", batch '{batchId}')", refused.Message, StringComparison.Ordinal);
        Assert.EndsWith("; wait for it to end, or give this run another output path", refused.Message, StringComparison.Ordinal);
        Assert.Equal(output, refused.Output);
        Assert.Equal(Environment.ProcessId, refused.HolderProcessId);
        Assert.Equal(Environment.MachineName, refused.HolderHost);
        Assert.Equal(batchId, refused.HolderBatchId);
        Assert.InRange(refused.HolderSince!.Value, DateTimeOffset.UtcNow - Patience, DateTimeOffset.UtcNow);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, true)]
    [InlineData(false, true)]
    public async Task Of_two_runs_started_together_on_one_output_one_writes_it_whole_and_the_other_is_refused_at_once(bool resumeA, bool resumeB)
    {
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var options = await FilesAsync(gate.Port, 120);
        var side = options.OutputDataPath + ".partial";

        var a = Task.Run(() => BatchRun.RunAsync(options.WithBlock(b => b with { BatchId = "run-a" }) with { Resume = resumeA }));
        var b = Task.Run(() => BatchRun.RunAsync(options.WithBlock(b => b with { BatchId = "run-b" }) with { Resume = resumeB }));
        // The run that holds the output waits at the gate with its first request: the first run to end is the other.
        var refused = await Task.WhenAny(a, b).WaitAsync(Patience);
        var (winner, winnerId) = refused == a ? (b, "run-b") : (a, "run-a");
        var error = await Assert.ThrowsAsync<OutputInUseException>(() => refused);
        await gate.FirstConnection.WaitAsync(Patience);

        AssertNamesThisProcess(error, options.OutputDataPath, winnerId);
        Assert.False(winner.IsCompleted);
        Assert.True(File.Exists(side), "the refused run must not touch the side file of the run that holds the output");
        Assert.True(File.Exists(RunRecord.PartialPathOf(options.OutputDataPath)));
        gate.Open();
        var summary = await winner.WaitAsync(Patience);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(120, summary.Succeeded);
        Assert.Equal(await ReferenceAsync(options, winnerId), (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(WithoutInstanceId));
        Assert.False(File.Exists(side));
        Assert.False(File.Exists(options.OutputDataPath + ".lock.json"), "the holder's details go with it");
        // Once the first run ended, the output is free again: a resume finds it complete.
        var later = await BatchRun.RunAsync(options.WithBlock(b => b with { BatchId = winnerId }) with { Resume = true });
        Assert.Equal(RunOutcome.Completed, later.Outcome);
        Assert.Equal(0, later.Instances);
    }

    [Fact]
    public async Task A_run_mid_way_refuses_a_rerun_a_resume_and_a_retry_of_its_output_and_keeps_its_side_file()
    {
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var options = await FilesAsync(gate.Port, 60);
        var first = Task.Run(() => BatchRun.RunAsync(options.WithBlock(b => b with { BatchId = "first" })));
        await gate.FirstConnection.WaitAsync(Patience);
        var record = await File.ReadAllBytesAsync(RunRecord.PartialPathOf(options.OutputDataPath));

        foreach (var other in new[] { options.WithBlock(b => b with { BatchId = "" }), options.WithBlock(b => b with { BatchId = "" }) with { Resume = true }, options.WithBlock(b => b with { BatchId = "" }) with { RetryFailed = true } })
        {
            var refused = await Assert.ThrowsAsync<OutputInUseException>(() => BatchRun.RunAsync(other).WaitAsync(Patience));
            AssertNamesThisProcess(refused, options.OutputDataPath, "first");
        }

        Assert.True(File.Exists(options.OutputDataPath + ".partial"));
        Assert.Equal(record, await File.ReadAllBytesAsync(RunRecord.PartialPathOf(options.OutputDataPath)));
        Assert.False(File.Exists(options.OutputDataPath + ".retry"));
        gate.Open();
        var summary = await first.WaitAsync(Patience);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(await ReferenceAsync(options, "first"), (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task A_lock_left_by_a_killed_process_does_not_block_the_next_run()
    {
        var options = await FilesAsync(_model.Server.RestPort, 40);
        var lockFile = options.OutputDataPath + ".lock";
        // What a killed run leaves next to the output: its details, older than the lock file the next holder takes.
        var stale = LockHolder.ThisProcess("dead-run", TimeProvider.System) with { Host = "gone-host", ProcessId = 999_999 };
        await File.WriteAllBytesAsync(options.OutputDataPath + ".lock.json", stale.ToJson());
        File.SetLastWriteTimeUtc(options.OutputDataPath + ".lock.json", DateTime.UtcNow.AddHours(-1));
        // util-linux flock(1) takes the lock a run takes (flock LOCK_EX) and holds it until it is killed.
        var start = new ProcessStartInfo("flock") { RedirectStandardOutput = true };
        foreach (var arg in new[] { "--exclusive", "--nonblock", lockFile, "--command", "echo locked; exec sleep 600" })
        {
            start.ArgumentList.Add(arg);
        }

        using (var holder = Process.Start(start)!)
        {
            Assert.Equal("locked", await holder.StandardOutput.ReadLineAsync().WaitAsync(Patience));
            var refused = await Assert.ThrowsAsync<OutputInUseException>(() => BatchRun.RunAsync(options).WaitAsync(Patience));
            Assert.Contains($"who it is could not be read from {options.OutputDataPath}.lock.json", refused.Message, StringComparison.Ordinal);
            Assert.DoesNotContain("gone-host", refused.Message, StringComparison.Ordinal);
            Assert.Null(refused.HolderProcessId);
            Assert.False(File.Exists(options.OutputDataPath + ".partial"));

            // SIGKILL, to flock and its child: the kernel drops the lock with the last descriptor.
            holder.Kill(entireProcessTree: true);
            await holder.WaitForExitAsync().WaitAsync(Patience);
        }

        Assert.True(File.Exists(lockFile));
        var summary = await BatchRun.RunAsync(options).WaitAsync(Patience);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(40, (await File.ReadAllLinesAsync(options.OutputDataPath)).Length);
    }

    [Fact]
    public async Task Shards_hold_their_own_part_so_one_index_admits_one_run_and_other_indexes_run_alongside()
    {
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var options = (await FilesAsync(gate.Port, 90)).WithBlock(b => b with { BatchId = "shards" }) with { ShardCount = 2 };
        var reference = await ReferenceAsync(options with { ShardCount = 1 }, "shards");
        var zero = Task.Run(() => BatchRun.RunAsync(options with { ShardIndex = 0 }));
        await gate.FirstConnection.WaitAsync(Patience);

        var refused = await Assert.ThrowsAsync<OutputInUseException>(() => BatchRun.RunAsync(options with { ShardIndex = 0, Resume = true }).WaitAsync(Patience));
        var one = Task.Run(() => BatchRun.RunAsync(options with { ShardIndex = 1 }));
        // Shard 1 gets past its own lock (its side file appears) while shard 0 still holds its part.
        await OutputLeaseTests.WaitUntilAsync(() => Task.FromResult(File.Exists(PathOf("output.txt.parts/part-00001-of-00002.partial"))), one);

        Assert.False(zero.IsCompleted);
        gate.Open();
        var summaries = await Task.WhenAll(zero, one).WaitAsync(Patience);
        await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 2 });

        AssertNamesThisProcess(refused, PathOf("output.txt.parts/part-00000-of-00002"), "shards");
        Assert.All(summaries, s => Assert.Equal(RunOutcome.Completed, s.Outcome));
        Assert.Equal(reference, (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(WithoutInstanceId));
    }

    [Fact]
    public async Task Merge_is_refused_while_another_run_writes_its_output()
    {
        var output = StorageLocation.Parse(PathOf("output.txt"));
        using var store = new ObjectStore(null);
        await using (var held = await OutputLock.AcquireAsync(output, store, "a-run", TimeProvider.System, NullLogger.Instance, CancellationToken.None))
        {
            var refused = await Assert.ThrowsAsync<OutputInUseException>(() => BatchRun.MergeAsync(new MergeOptions { OutputDataPath = output.ToString(), ShardCount = 2 }));
            AssertNamesThisProcess(refused, output.ToString(), "a-run");
        }

        // Released: merge now gets as far as the missing shard plan.
        await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.MergeAsync(new MergeOptions { OutputDataPath = output.ToString(), ShardCount = 2 }));
    }

    [Fact]
    public async Task The_holder_writes_who_it_is_next_to_the_lock_and_takes_it_away_when_done()
    {
        var output = StorageLocation.Parse(PathOf("output.txt"));
        using var store = new ObjectStore(null);
        await using (var held = await OutputLock.AcquireAsync(output, store, "b-7", TimeProvider.System, NullLogger.Instance, CancellationToken.None))
        {
            var holder = JsonNode.Parse(await File.ReadAllBytesAsync(PathOf("output.txt.lock.json")))!;
            Assert.Equal(Environment.ProcessId, holder["pid"]!.GetValue<int>());
            Assert.Equal(Environment.MachineName, holder["host"]!.GetValue<string>());
            Assert.Equal("b-7", holder["batch_id"]!.GetValue<string>());
            // Even this process cannot take it twice: the lock belongs to the open file, not to the process.
            await Assert.ThrowsAsync<OutputInUseException>(() => OutputLock.AcquireAsync(output, store, null, TimeProvider.System, NullLogger.Instance, CancellationToken.None));
        }

        Assert.False(File.Exists(PathOf("output.txt.lock.json")));
        Assert.Equal(0, new FileInfo(PathOf("output.txt.lock")).Length);
        await (await OutputLock.AcquireAsync(output, store, null, TimeProvider.System, NullLogger.Instance, CancellationToken.None)).DisposeAsync();
    }
}
