using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>Faults injected by the built-in server: retries, what is not retried, order under delays, a dead server.</summary>
[Trait("Category", "Integration")]
public sealed class FaultTests
{
    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Transient_failures_are_retried_until_they_succeed(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailFirst = 2, FailStatus = 503 });
        var result = await RunAsync(Options(server, transport).WithBlock(b => b with { Workers = 1, MaxAttempts = 3 }), ["[[1]]", "[[2]]"]);

        AssertOrdered(result, 2);
        Assert.Equal(2, result.Summary.Succeeded);
        Assert.Equal(2, result.Summary.Retries);
        Assert.Equal(4, server.Statistics.Requests);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_model_that_only_ever_answers_429_is_stopped_as_unreachable_without_error_records(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailEvery = 1, FailStatus = 429 });
        // The retries' backoff and the start-up wait pass on the run's clock, moved on by the test.
        var clock = new FakeTimeProvider();
        var result = await RunAsync(
            Options(server, transport).WithBlock(b => b with { MaxAttempts = 2, MaxOutage = TimeSpan.FromSeconds(1) }), ["[[1]]", "[[2]]", "[[3]]"],
            o => FakeClock.RunAsync(o, clock, TimeSpan.FromMilliseconds(100)));

        // Nothing was ever answered: past the short start-up wait the run stops, and no line is written as an error.
        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Contains($"is unreachable", result.Summary.StopReason);
        Assert.Contains(transport == "grpc" ? "ResourceExhausted" : "HTTP 429", result.Summary.StopReason);
        Assert.Empty(result.Outputs);
        // A 429 is retried: the request that used up its attempts first stopped the run, and the others may have been
        // cancelled in their backoff by then, so only its own retry is certain.
        Assert.True(result.Summary.Retries >= 1, $"the 429s were not retried: {result.Summary.Retries} retries");
        Assert.True(server.Statistics.Requests >= 4, $"3 first attempts and at least one retry were sent, not {server.Statistics.Requests}");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_4xx_answer_is_not_retried(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailEvery = 1, FailStatus = 400 });
        var result = await RunAsync(Options(server, transport).WithBlock(b => b with { MaxAttempts = 3 }), ["[[1]]", "[[2]]"]);

        AssertOrdered(result, 2);
        Assert.Equal(2, server.Statistics.Requests);
        Assert.Equal(0, result.Summary.Retries);
        Assert.Equal(transport == "grpc" ? 3 : 400, result.Outputs[0]["status"]!["code"]!.GetValue<int>());
        Assert.Contains("injected", Reason(result.Outputs[0]), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Order_holds_when_answers_arrive_out_of_order(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { MaxRandomDelayMs = 15, Seed = 3 });
        var input = Enumerable.Range(0, 150).Select(i => $"[[{i}]]").ToArray();
        var result = await RunAsync(Options(server, transport).WithBlock(b => b with { Workers = 12 }), input);

        AssertOrdered(result, 150);
        for (var i = 0; i < 150; i++)
        {
            Assert.Equal(transport == "grpc" ? $"[[{2 * i}.0]]" : $"[[{2 * i}]]", result.Outputs[i]["data"]!["ndarray"]!.ToJsonString());
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Dropped_connections_are_retried(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DropEvery = 3 });
        var input = Enumerable.Range(0, 12).Select(i => $"[[{i}]]").ToArray();
        var result = await RunAsync(Options(server, transport).WithBlock(b => b with { Workers = 1, MaxAttempts = 3 }), input);

        AssertOrdered(result, 12);
        Assert.Equal(12, result.Summary.Succeeded);
        Assert.True(result.Summary.Retries >= 4, $"expected retries after dropped connections, got {result.Summary.Retries}");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_server_that_is_down_from_the_start_stops_the_run_naming_the_host(string transport)
    {
        using var closed = new ClosedPort();
        var port = closed.Port;

        // The start-up wait counts on the run's clock, moved on by the test a quarter of a second at a time.
        var clock = new FakeTimeProvider();
        var step = TimeSpan.FromMilliseconds(250);
        var result = await RunAsync(Options(port, transport).WithBlock(b => b with { MaxAttempts = 2 }), ["[[1]]", "[[2]]"], o => FakeClock.RunAsync(o, clock, step));

        // Nothing reachable: after the start-up wait (5 s) the run is stopped with the reason, and no line is written.
        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Contains($"127.0.0.1:{port} is unreachable", result.Summary.StopReason);
        Assert.Contains("nothing answered in the first 5 s", result.Summary.StopReason);
        Assert.Empty(result.Outputs);
        // Not before the 5 s were over on the run's clock.
        Assert.True(clock.GetUtcNow() - clock.Start > EndpointBreaker.UnreachableAfter, $"stopped after {clock.GetUtcNow() - clock.Start} of the run's clock");
    }
}
