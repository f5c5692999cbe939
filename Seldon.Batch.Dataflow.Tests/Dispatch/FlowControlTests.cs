using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Dispatch;

/// <summary><c>--workers auto</c> and <c>--max-rate</c> over real sockets against the built-in server's hidden capacity
/// (<c>serve --reject-above</c>). What they achieve in throughput and latency is measured by <c>make bench</c>, not here.</summary>
public sealed class FlowControlTests
{
    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    private static readonly string[] Input = [.. Enumerable.Range(0, 400).Select(i => $"[[{i}]]")];

    /// <summary>A server that refuses (429, gRPC ResourceExhausted) a request arriving when 4 are in it; each takes 20 ms.</summary>
    private static Task<DemoModelServer> BusyServerAsync() => DemoModelServer.StartAsync(new ServeOptions { RejectAbove = 4, DelayMs = 20 });

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Auto_against_a_server_that_refuses_above_four_finishes_with_no_error_records(string transport)
    {
        await using var server = await BusyServerAsync();
        // One attempt per request: a 429 that spent --retries would be an error record at once. Starting at 8, twice what
        // the server takes, makes the refusals certain (a limit growing from 2 may back off on a busy machine's latency first).
        var result = await RunAsync(
            Options(server, transport).WithBlock(b => b with { AdaptiveConcurrency = new AdaptiveConcurrency { Maximum = 16, Initial = 8 }, MaxAttempts = 1 }), Input);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.Equal(0, result.Summary.Failed);
        AssertOrdered(result, Input.Length);
        // The limit started past the server's and backed off: the 429s were there.
        Assert.True(server.Statistics.Rejected > 0, $"the server refused nothing (at most {server.Statistics.MaxInServer} in it)");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Fixed_workers_past_the_servers_limit_get_error_records_for_the_same_refusals(string transport)
    {
        // The control of the test above: the same server and attempts, 16 fixed workers.
        await using var server = await BusyServerAsync();
        var result = await RunAsync(Options(server, transport).WithBlock(b => b with { Workers = 16, MaxAttempts = 1 }), Input);

        Assert.True(server.Statistics.Rejected > 0);
        Assert.True(result.Summary.Failed > 0, "16 workers against a server refusing above 4 got no 429 error record");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_rate_in_lines_lets_requests_of_more_lines_than_a_period_adds_through(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        // 5000 lines/s adds 50 tokens per 10 ms; a request of 64 lines needs 64 at once.
        var result = await RunAsync(
            Options(server, transport).WithBlock(b => b with { BatchSize = 64, MaxRate = RequestRate.RowsPerSecond(5000) }), Input);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertOrdered(result, Input.Length);
        Assert.Equal(7, server.Statistics.Requests);
    }

    [Fact]
    public async Task A_rate_in_requests_paces_every_worker_and_the_run_completes()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        var result = await RunAsync(
            Options(server, "rest").WithBlock(b => b with { Workers = 8, MaxRate = RequestRate.RequestsPerSecond(2000) }), Input[..100]);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertOrdered(result, 100);
    }

    [Fact]
    public void The_options_refuse_an_adaptive_maximum_below_one()
    {
        var invalid = Assert.Throws<InvalidBatchOptionsException>(
            () => new PredictionBlockOptions { AdaptiveConcurrency = new AdaptiveConcurrency { Maximum = 0 } }.Validate());

        Assert.Equal("AdaptiveConcurrency", invalid.Property);
    }
}
