using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Storage;

/// <summary>One run per <c>s3://</c> output, against a real S3-compatible server (moto_server, which honours
/// <c>If-None-Match</c> and <c>If-Match</c> on PUT): the lease object keeps a second run out while the first lives, is
/// taken over once it expired, and a run whose lease another run took over stops without publishing.</summary>
[Trait("Category", "Integration")]
public sealed class OutputLeaseTests : IClassFixture<MotoServerFixture>, IClassFixture<DemoServerFixture>
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private readonly MotoServerFixture _s3;
    private readonly DemoServerFixture _model;

    public OutputLeaseTests(MotoServerFixture s3, DemoServerFixture model)
    {
        _s3 = s3;
        _model = model;
    }

    /// <summary>moto's smallest part instead of S3's.</summary>
    private static readonly StorageTuning Moto = new() { MinimumPartBytes = MotoServerFixture.MinimumPartBytes };

    private async Task<(string Bucket, BatchOptions Options)> InputAsync(int port, int lines)
    {
        var bucket = await _s3.NewBucketAsync();
        await _s3.PutAsync(bucket, "in.txt", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, lines).Select(i => $"[[{i}, {i % 7}]]\n"))));
        var options = Options(port, "rest").WithBlock(b => b with { BatchId = "leased", Workers = 2 }) with
        {
            S3Endpoint = _s3.Endpoint,
            S3PartSize = MotoServerFixture.MinimumPartBytes,
            InputDataPath = $"s3://{bucket}/in.txt",
            OutputDataPath = $"s3://{bucket}/out.txt",
        };
        return (bucket, options);
    }

    private static string[] Lines(byte[]? bytes) =>
        Encoding.UTF8.GetString(bytes ?? throw new Xunit.Sdk.XunitException("the object does not exist")).TrimEnd('\n').Split('\n').Select(WithoutInstanceId).ToArray();

    private async Task<string[]> ReferenceAsync(BatchOptions options, string bucket)
    {
        var summary = await BatchRun.RunAsync(options.WithEndpoint(e => e with { Host = $"127.0.0.1:{_model.Server.RestPort}" }) with { OutputDataPath = $"s3://{bucket}/reference.txt" }, Moto);
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        return Lines(await _s3.GetAsync(bucket, "reference.txt"));
    }

    /// <summary>Awaits <paramref name="condition"/>, failing when <paramref name="run"/> ends first or a minute passes.</summary>
    internal static async Task WaitUntilAsync(Func<Task<bool>> condition, Task run)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.False(run.IsCompleted, "the run ended first: " + run.Exception?.InnerException?.Message);
            Assert.True(waited.Elapsed < Patience, "the condition did not come true within a minute");
            await Task.Delay(10);
        }
    }

    private async Task PutLeaseAsync(string bucket, string key, LockHolder holder) => await _s3.PutAsync(bucket, key, holder.ToJson());

    [Fact]
    public async Task A_second_run_on_an_s3_output_is_refused_while_the_first_holds_its_lease()
    {
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var (bucket, options) = await InputAsync(gate.Port, 300);
        // One clock for the three runs: a second run is refused once it sees the first renew its lease, every few
        // seconds of that clock, which the test moves on instead of waiting them out.
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var client = PredictionClients.Create(options.Endpoint);
        var first = Task.Run(() => BatchRun.RunAsync(options.On(clock), client, tuning: Moto));
        await gate.FirstConnection.WaitAsync(Patience);
        var checkpoint = await _s3.GetAsync(bucket, "out.txt.upload.json");
        var lease = JsonNode.Parse((await _s3.GetAsync(bucket, "out.txt.lease.json"))!)!;

        foreach (var other in new[] { options.WithBlock(b => b with { BatchId = "" }), options with { Resume = true } })
        {
            var second = BatchRun.RunAsync(other.On(clock), client, tuning: Moto);
            await RenewUntilEndedAsync(clock, bucket, first, second);
            var refused = await Assert.ThrowsAsync<OutputInUseException>(() => second);
            Assert.StartsWith(
                $"s3://{bucket}/out.txt is being written by another run (pid {Environment.ProcessId} on {Environment.MachineName} since ", refused.Message, StringComparison.Ordinal);
            Assert.Contains(", batch 'leased', its lease runs until ", refused.Message, StringComparison.Ordinal);
            Assert.Equal("leased", refused.HolderBatchId);
        }

        Assert.Equal(Environment.ProcessId, lease["pid"]!.GetValue<int>());
        Assert.NotNull(checkpoint);
        Assert.Equal(checkpoint, await _s3.GetAsync(bucket, "out.txt.upload.json"));
        gate.Open();
        var summary = await first.WaitAsync(Patience);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(await ReferenceAsync(options, bucket), Lines(await _s3.GetAsync(bucket, "out.txt")));
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.lease.json"));
    }

    /// <summary>Moves <paramref name="clock"/> on a renewal period at a time, each time waiting until
    /// <paramref name="holder"/> has renewed its lease, until <paramref name="watcher"/> ended: the holder's lease never
    /// runs out on the clock because a loaded machine was slow to renew it.</summary>
    private async Task RenewUntilEndedAsync(FakeTimeProvider clock, string bucket, Task holder, Task watcher)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (!watcher.IsCompleted)
        {
            Assert.True(waited.Elapsed < Patience, $"the second run was not refused within a minute ({clock.GetUtcNow():O} on the runs' clock)");
            var renewed = LockHolder.Parse(await _s3.GetAsync(bucket, "out.txt.lease.json"))!.Renewed;
            clock.Advance(OutputLease.RenewEvery);
            await WaitUntilAsync(async () => watcher.IsCompleted || LockHolder.Parse(await _s3.GetAsync(bucket, "out.txt.lease.json"))!.Renewed > renewed, holder);
            // A moment for the watcher's look at the lease, which the same step of the clock let go.
            await Task.WhenAny(watcher, Task.Delay(50));
        }
    }

    [Fact]
    public async Task An_expired_lease_is_taken_over_and_a_live_one_of_another_run_is_not()
    {
        var (bucket, options) = await InputAsync(_model.Server.RestPort, 30);
        var other = LockHolder.ThisProcess("other", TimeProvider.System) with { Host = "pod-b", ProcessId = 7 };
        await PutLeaseAsync(bucket, "out.txt.lease.json", other with { Expires = DateTimeOffset.UtcNow.AddMinutes(10) });

        var refused = await Assert.ThrowsAsync<OutputInUseException>(() => BatchRun.RunAsync(options, Moto));
        Assert.StartsWith($"s3://{bucket}/out.txt is being written by another run (pid 7 on pod-b since ", refused.Message, StringComparison.Ordinal);
        Assert.Equal("pod-b", refused.HolderHost);
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.upload.json"));

        // The same holder, dead for a minute: its lease ran out.
        await PutLeaseAsync(bucket, "out.txt.lease.json", other with { Expires = DateTimeOffset.UtcNow.AddMinutes(-1) });
        var logs = new RecordingLoggerFactory();
        var summary = await BatchRun.RunAsync(options.LoggingTo(logs), Moto);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(30, Lines(await _s3.GetAsync(bucket, "out.txt")).Length);
        Assert.Contains(logs.Messages, m => m.Message.Contains("Took over the lease", StringComparison.Ordinal) && m.Message.Contains("pid 7 on pod-b", StringComparison.Ordinal));
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.lease.json"));
    }

    [Fact]
    public async Task A_lease_whose_holder_stopped_renewing_is_waited_out_and_taken_over()
    {
        // A pod killed two seconds ago: its lease still runs, and nothing renews it any more.
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var (bucket, options) = await InputAsync(gate.Port, 30);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var dead = LockHolder.ThisProcess("dead", clock) with { Host = "pod-killed", ProcessId = 1, RenewEvery = OutputLease.RenewEvery };
        dead = dead with { Renewed = clock.GetUtcNow().AddSeconds(-2), Expires = clock.GetUtcNow().AddSeconds(-2) + OutputLease.Duration };
        await PutLeaseAsync(bucket, "out.txt.lease.json", dead);
        var logs = new RecordingLoggerFactory();
        using var client = PredictionClients.Create(options.Endpoint);

        var run = BatchRun.RunAsync(options.On(clock).LoggingTo(logs), client, tuning: Moto);
        // The clock moves on until the run has taken the lease over, and no further: from then on the run's own lease
        // runs on it, and a clock racing ahead of a loaded machine's renewals (each a request to moto_server) would let
        // that lease lapse and stop the run.
        await AdvanceUntilAsync(clock, run, () =>
            LockHolder.Parse(_s3.GetAsync(bucket, "out.txt.lease.json").GetAwaiter().GetResult())?.ProcessId != Environment.ProcessId);
        await gate.FirstConnection.WaitAsync(Patience);
        // Held at the gate: the lease is as the run wrote it when it took it over.
        var taken = LockHolder.Parse(await _s3.GetAsync(bucket, "out.txt.lease.json"))!;
        gate.Open();
        var summary = await run.WaitAsync(Patience);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(Environment.ProcessId, taken.ProcessId);
        Assert.True(taken.Renewed >= dead.Expires, $"taken over at {taken.Renewed:O}, before the lease expired at {dead.Expires:O}");
        Assert.Contains(logs.Messages, m => m.Message.Contains("Took over the lease", StringComparison.Ordinal));
        Assert.Contains(logs.Messages, m => m.Message.Contains("pid 1 on pod-killed", StringComparison.Ordinal) && m.Message.Contains("was not renewed when due", StringComparison.Ordinal));
        Assert.Equal(30, Lines(await _s3.GetAsync(bucket, "out.txt")).Length);
    }

    [Fact]
    public async Task A_lease_its_holder_renews_while_a_second_run_watches_it_refuses_that_run()
    {
        var (bucket, options) = await InputAsync(_model.Server.RestPort, 30);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var live = LockHolder.ThisProcess("live", clock) with { Host = "pod-live", ProcessId = 3, RenewEvery = OutputLease.RenewEvery };
        await PutLeaseAsync(bucket, "out.txt.lease.json", live with { Renewed = clock.GetUtcNow(), Expires = clock.GetUtcNow() + OutputLease.Duration });
        using var client = PredictionClients.Create(options.Endpoint);

        var run = BatchRun.RunAsync(options.On(clock), client, tuning: Moto);
        var renewals = 0;
        // The holder renews every few seconds of the clock, as a live run does.
        await AdvanceUntilAsync(clock, run, () =>
        {
            if (++renewals % 4 == 0)
            {
                PutLeaseAsync(bucket, "out.txt.lease.json", live with { Renewed = clock.GetUtcNow(), Expires = clock.GetUtcNow() + OutputLease.Duration }).GetAwaiter().GetResult();
            }

            return true;
        });

        var refused = await Assert.ThrowsAsync<OutputInUseException>(() => run);
        Assert.StartsWith($"s3://{bucket}/out.txt is being written by another run (pid 3 on pod-live since ", refused.Message, StringComparison.Ordinal);
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.upload.json"));
    }

    /// <summary>Moves <paramref name="clock"/> on a second at a time while <paramref name="more"/> holds and the run
    /// goes on; returns the clock's time when <paramref name="more"/> stopped holding.</summary>
    private static async Task<DateTimeOffset> AdvanceUntilAsync(FakeTimeProvider clock, Task run, Func<bool> more)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (more() && !run.IsCompleted)
        {
            Assert.True(waited.Elapsed < Patience, $"still waiting after {waited.Elapsed} ({clock.GetUtcNow():O} on the run's clock)");
            clock.Advance(TimeSpan.FromSeconds(1));
            await Task.WhenAny(run, Task.Delay(20));
        }

        return clock.GetUtcNow();
    }

    [Fact]
    public async Task The_lease_of_an_earlier_process_of_this_pod_with_this_process_id_is_taken_over_at_once()
    {
        // A container restarted in its pod: the same host name and process id, another start time, a lease still running.
        var (bucket, options) = await InputAsync(_model.Server.RestPort, 20);
        var me = LockHolder.ThisProcess(null, TimeProvider.System);
        await PutLeaseAsync(bucket, "out.txt.lease.json", me with { ProcessStarted = DateTimeOffset.UtcNow.AddHours(-1), Expires = DateTimeOffset.UtcNow.AddMinutes(1) });

        var summary = await BatchRun.RunAsync(options, Moto);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
    }

    [Fact]
    public async Task A_run_whose_lease_another_run_took_over_stops_and_does_not_publish()
    {
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var (bucket, options) = await InputAsync(gate.Port, 200);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var client = PredictionClients.Create(options.Endpoint);
        var run = BatchRun.RunAsync(options.On(clock), client, tuning: Moto);
        await gate.FirstConnection.WaitAsync(Patience);

        // Another run took the lease over, as it may once a lease expired unrenewed; the next renewal finds out.
        var thief = LockHolder.ThisProcess("thief", TimeProvider.System) with { Host = "pod-c", ProcessId = 9, Expires = DateTimeOffset.UtcNow.AddMinutes(1) };
        await PutLeaseAsync(bucket, "out.txt.lease.json", thief);
        clock.Advance(OutputLease.RenewEvery);
        var summary = await run.WaitAsync(Patience);

        Assert.Equal(RunOutcome.Stopped, summary.Outcome);
        Assert.Contains($"s3://{bucket}/out.txt: another run took over this run's lease", summary.StopReason, StringComparison.Ordinal);
        Assert.Contains("pid 9 on pod-c", summary.StopReason, StringComparison.Ordinal);
        Assert.Null(await _s3.GetAsync(bucket, "out.txt"));
        Assert.Equal(thief.ToJson(), await _s3.GetAsync(bucket, "out.txt.lease.json"));
    }

    [Fact]
    public async Task A_lease_is_renewed_on_the_runs_clock_so_a_long_run_keeps_its_output()
    {
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var (bucket, options) = await InputAsync(gate.Port, 50);
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var client = PredictionClients.Create(options.Endpoint);
        var run = BatchRun.RunAsync(options.On(clock), client, tuning: Moto);
        await gate.FirstConnection.WaitAsync(Patience);
        var taken = LockHolder.Parse(await _s3.GetAsync(bucket, "out.txt.lease.json"))!;

        // Three times the lease's duration on the run's clock, a second at a time: renewals keep pushing the expiry on.
        var last = taken;
        var renewals = 0;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (clock.GetUtcNow() < taken.Expires + 2 * OutputLease.Duration)
        {
            Assert.True(waited.Elapsed < Patience, $"the lease was last renewed at {last.Renewed:O}; the run's clock is at {clock.GetUtcNow():O}");
            clock.Advance(TimeSpan.FromSeconds(1));
            // Once a renewal is due, give it a moment of the machine's time before the clock moves on.
            var due = clock.GetUtcNow() >= last.Renewed + OutputLease.RenewEvery;
            for (var look = 0; look < (due ? 30 : 1); look++)
            {
                await Task.Delay(10);
                var now = LockHolder.Parse(await _s3.GetAsync(bucket, "out.txt.lease.json"))!;
                if (now.Expires > last.Expires)
                {
                    renewals++;
                    last = now;
                    break;
                }
            }

            // Never let it lapse on the run's clock: each renewal comes before the last one runs out.
            Assert.True(clock.GetUtcNow() < last.Expires - OutputLease.RenewalMargin, $"the lease was last renewed at {last.Renewed:O}, to {last.Expires:O}");
            Assert.False(run.IsCompleted, "the run ended: " + run.Exception?.InnerException?.Message);
        }

        Assert.InRange(renewals, 2 * OutputLease.Duration / OutputLease.RenewEvery, int.MaxValue);
        Assert.Equal(taken.LeaseId, last.LeaseId);
        gate.Open();
        var summary = await run.WaitAsync(Patience);
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.lease.json"));
    }

    [Fact]
    public async Task Shards_on_s3_lease_their_own_part_so_other_indexes_run_alongside()
    {
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var (bucket, options) = await InputAsync(gate.Port, 90);
        options = options with { ShardCount = 2 };
        var zero = Task.Run(() => BatchRun.RunAsync(options with { ShardIndex = 0 }, Moto));
        await gate.FirstConnection.WaitAsync(Patience);

        var refused = await Assert.ThrowsAsync<OutputInUseException>(() => BatchRun.RunAsync(options with { ShardIndex = 0 }, Moto).WaitAsync(Patience));
        var one = Task.Run(() => BatchRun.RunAsync(options with { ShardIndex = 1 }, Moto));
        // Shard 1 gets past its own lease (its upload starts) while shard 0 still holds its part.
        await WaitUntilAsync(async () => await _s3.GetAsync(bucket, "out.txt.parts/part-00001-of-00002.upload.json") is not null, one);

        gate.Open();
        var summaries = await Task.WhenAll(zero, one).WaitAsync(Patience);

        Assert.StartsWith($"s3://{bucket}/out.txt.parts/part-00000-of-00002 is being written by another run", refused.Message, StringComparison.Ordinal);
        Assert.All(summaries, s => Assert.Equal(RunOutcome.Completed, s.Outcome));
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.parts/part-00000-of-00002.lease.json"));
        Assert.Null(await _s3.GetAsync(bucket, "out.txt.parts/part-00001-of-00002.lease.json"));
    }
}
