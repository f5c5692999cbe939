using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;
using static Seldon.Batch.Dataflow.Tests.Fixtures.RawBatch;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>Faults of the model server over real sockets (failures, resets, hangs, slow answers, a restart in the
/// middle of a run): every line still ends as a prediction or an error record, in input order.</summary>
[Trait("Category", "Integration")]
public sealed class FaultInjectionTests
{
    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    public static TheoryData<string, int, int> TransportsStatusesAndBatchSizes => new()
    {
        { "rest", 500, 1 }, { "rest", 503, 2 }, { "rest", 429, 1 },
        { "grpc", 500, 2 }, { "grpc", 503, 1 }, { "grpc", 429, 2 },
    };

    private static void AssertPredictionOrError(BatchResult result, int count)
    {
        AssertOrdered(result, count);
        for (var i = 0; i < count; i++)
        {
            if (IsError(result.Outputs[i]))
            {
                Assert.False(string.IsNullOrWhiteSpace(Reason(result.Outputs[i])), $"line {i} has an error record without a reason");
            }
            else
            {
                AssertNdarray(result, i, $"[[{2 * i}, {-2 * i}, 1]]");
            }
        }

        Assert.Equal(count, result.Summary.Succeeded + result.Summary.Failed);
    }

    [Theory]
    [MemberData(nameof(TransportsStatusesAndBatchSizes))]
    public async Task Intermittent_failures_are_retried_and_every_line_keeps_its_place(string transport, int status, int batchSize)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailRate = 0.3, FailStatus = status, Seed = 7 });
        const int count = 40;
        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { MaxAttempts = 6, Workers = 4, BatchSize = batchSize }), NumberedInput(count));

        AssertPredictionOrError(result, count);
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.True(server.Statistics.InjectedFailures > 0, "the server injected no failure");
        // Every attempt reached the server: requests plus retries is what it counted.
        Assert.Equal(server.Statistics.Requests, result.Summary.Requests + result.Summary.Retries);
        if (status == 500)
        {
            // A 500 with a Seldon status body (gRPC Internal) is the model refusing the lines: not retried, and a refused
            // micro-batch is sent again line by line, so only the lines refused alone fail. Which requests the server's
            // failures fall on depends on the order the requests arrive in (a micro-batch or a line sent alone), so the
            // count is checked against them: every failure refused a micro-batch (its lines sent again, one request each)
            // or a line sent alone, which is that line's error record.
            Assert.Equal(0, result.Summary.Retries);
            var refusedBatches = batchSize == 1 ? 0 : (result.Summary.Requests - (count / batchSize)) / batchSize;
            Assert.Equal(server.Statistics.InjectedFailures - refusedBatches, result.Summary.Failed);
            Assert.All(result.Outputs.Where(IsError), o => Assert.Equal(transport == "grpc" ? 13 : 500, o["status"]!["code"]!.GetValue<int>()));
        }
        else
        {
            // Every failed attempt was an injected failure: retried, or the last attempt of a request whose lines failed.
            Assert.Equal(server.Statistics.InjectedFailures, result.Summary.Retries + FailedRequests(result, batchSize));
            Assert.True(result.Summary.Retries > 0, "no retry was counted");
            // With 6 attempts at a 30 % failure rate, a line failing for good is a one-in-a-thousand event.
            Assert.True(result.Summary.Succeeded >= count - 2 * batchSize, $"too many lines failed: {result.Summary.Failed}");
        }
    }

    /// <summary>Requests whose last attempt failed too (each of their lines is an error record).</summary>
    private static long FailedRequests(BatchResult result, int batchSize) =>
        result.Outputs.Where(IsError).Select(o => BatchIndex(o) / batchSize).Distinct().LongCount();

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Connection_resets_are_retried_and_cost_one_extra_request_each(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DropEvery = 4 });
        const int count = 40;
        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { MaxAttempts = 5, Workers = 4 }), NumberedInput(count));

        AssertPredictionOrError(result, count);
        Assert.Equal(count, result.Summary.Succeeded);
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        var dropped = server.Statistics.DroppedConnections;
        Assert.True(dropped > 0, "no connection was dropped");
        // Each dropped request was sent once more (by the retry policy, or by the HTTP stack itself for a reset
        // pooled connection), and nothing else was sent twice.
        Assert.Equal(result.Summary.Requests + dropped, server.Statistics.Requests);
        Assert.InRange(result.Summary.Retries, 1, dropped);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Answers_slower_than_the_timeout_become_no_answer_error_records_in_order(string transport)
    {
        // The first request is answered at once (an injected 400, not retried), so the model counts as reached (a
        // model never reached would stop the run instead); every other request hangs for 30 s, ten times the timeout.
        // The timeout leaves the first answer 3 s, which a busy machine's first request (both sides compiling their
        // paths) can need; the six lines go out at once, so the run waits two timeouts, not four.
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailFirst = 1, FailStatus = 400, DelayMs = 30_000 });
        const int count = 6;
        var result = await RunFileAsync(
            Options(server, transport).WithEndpoint(e => e with { Timeout = TimeSpan.FromSeconds(3) }).WithBlock(b => b with { MaxAttempts = 2, Workers = count }), NumberedInput(count));

        AssertOrdered(result, count);
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.All(result.Outputs, o => Assert.True(IsError(o)));
        var injected = result.Outputs.Where(o => Reason(o).Contains("injected", StringComparison.OrdinalIgnoreCase)).ToArray();
        Assert.Single(injected);
        foreach (var output in result.Outputs.Except(injected))
        {
            var reason = Reason(output);
            if (transport == "grpc")
            {
                Assert.Contains("DeadlineExceeded", reason);
                Assert.Equal(4, output["status"]!["code"]!.GetValue<int>());
            }
            else
            {
                Assert.Contains("no answer", reason);
                Assert.Contains("within 3 s", reason);
                Assert.Equal(0, output["status"]!["code"]!.GetValue<int>());
            }
        }

        // Each hanging request: two attempts, each given up by the client after 3 s (the reasons say so), none answered.
        Assert.Equal(count - 1, result.Summary.Retries);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_model_that_never_answers_stops_the_run_as_unreachable_without_error_records(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 3000 });
        const int count = 12;
        // The start-up wait (5 s) counts on the run's clock, moved on by the test; the client's timeouts on the machine's.
        var clock = new FakeTimeProvider();
        var result = await RunFileAsync(
            Options(server, transport).WithEndpoint(e => e with { Timeout = TimeSpan.FromSeconds(0.3) }).WithBlock(b => b with { MaxAttempts = 2, Workers = 2 }), NumberedInput(count),
            o => FakeClock.RunAsync(o, clock, TimeSpan.FromMilliseconds(100)));

        // Nothing ever answered: a model that is not there, whatever the reason; no line is written as an error record.
        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Contains("unreachable", result.Summary.StopReason);
        Assert.Contains(transport == "grpc" ? "DeadlineExceeded" : "no answer", result.Summary.StopReason);
        Assert.Empty(result.Outputs);
        Assert.True(clock.GetUtcNow() - clock.Start > EndpointBreaker.UnreachableAfter, $"stopped after {clock.GetUtcNow() - clock.Start} of the run's clock");
        // The model was asked (the two workers' requests reached it and timed out) before the run gave up on it.
        Assert.True(server.Statistics.Requests >= 2, $"{server.Statistics.Requests} requests");
    }

    [Theory]
    [InlineData("rest", 1)]
    [InlineData("rest", 3)]
    [InlineData("grpc", 1)]
    [InlineData("grpc", 3)]
    public async Task Slow_answers_in_random_order_keep_the_input_order(string transport, int batchSize)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { MaxRandomDelayMs = 40, Seed = 11 });
        const int count = 60;
        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { Workers = 8, BatchSize = batchSize }), NumberedInput(count));

        AssertPredictionOrError(result, count);
        Assert.Equal(count, result.Summary.Succeeded);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Mixed_faults_never_lose_or_reorder_a_line(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions
        {
            FailRate = 0.2,
            FailStatus = 503,
            DropEvery = 7,
            MaxRandomDelayMs = 20,
            Seed = 5,
        });
        const int count = 60;
        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { Workers = 6, BatchSize = 3, MaxAttempts = 3 }), NumberedInput(count));

        AssertPredictionOrError(result, count);
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.True(result.Summary.Retries > 0);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_server_restarted_in_the_middle_of_a_run_is_ridden_out_by_retries(string transport)
    {
        var ports = new ServeOptions { RestPort = FreePort(), GrpcPort = FreePort(), DelayMs = 5 };
        var first = await StartOnAsync(ports);
        DemoModelServer? second = null;
        try
        {
            const int count = 300;
            var run = Task.Run(() => RunFileAsync(
                BatchHarness.Options(transport == "grpc" ? ports.GrpcPort : ports.RestPort, transport).WithBlock(b => b with { Workers = 4, MaxAttempts = 8 }),
                NumberedInput(count)));

            // Wait until the run is well under way, without a fixed sleep.
            var deadline = Stopwatch.StartNew();
            while (first.Statistics.Requests < 50)
            {
                Assert.False(run.IsCompleted, "the run ended before the server could be stopped");
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), "the run did not reach 50 requests");
                await Task.Delay(5);
            }

            await first.StopAsync();
            var servedByFirst = first.Statistics.Requests;
            Assert.False(run.IsCompleted, "the run ended while the server was stopping");
            await Task.Delay(TimeSpan.FromSeconds(1));
            second = await StartOnAsync(new ServeOptions { RestPort = ports.RestPort, GrpcPort = ports.GrpcPort, DelayMs = 5 });

            var result = await run.WaitAsync(TimeSpan.FromSeconds(40));

            AssertPredictionOrError(result, count);
            // The model was reached before the outage: the run completes instead of being stopped as unreachable.
            Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
            Assert.Null(result.Summary.StopReason);
            Assert.True(result.Summary.Retries > 0, "the outage cost no retry");
            Assert.Equal(count, result.Summary.Succeeded);
            Assert.True(second.Statistics.Requests > 0, "the restarted server got no request");
            Assert.True(servedByFirst + second.Statistics.Requests >= result.Summary.Requests);
        }
        finally
        {
            await first.DisposeAsync();
            if (second is not null)
            {
                await second.DisposeAsync();
            }
        }
    }
}
