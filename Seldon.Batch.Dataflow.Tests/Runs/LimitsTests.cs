using System.Diagnostics;
using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>The gRPC message size limit and the batch interval.</summary>
[Trait("Category", "Integration")]
public sealed class LimitsTests : IClassFixture<DemoServerFixture>
{
    private readonly DemoServerFixture _fixture;

    public LimitsTests(DemoServerFixture fixture) => _fixture = fixture;

    private static string WideLine(int numbers) => "[[" + string.Join(", ", Enumerable.Range(0, numbers)) + "]]";

    [Fact]
    public async Task A_grpc_message_over_the_limit_fails_alone_and_at_once()
    {
        var before = _fixture.Server.Statistics.Requests;
        var options = Options(_fixture.Server, "grpc").WithEndpoint(e => e with { MaxMessageBytes = 4096 }).WithBlock(b => b with { MaxAttempts = 3 });

        var result = await RunAsync(options, ["[[1]]", WideLine(3000), "[[2]]"]);

        AssertOrdered(result, 3);
        Assert.True(IsError(result.Outputs[1]));
        Assert.Equal(8, result.Outputs[1]["status"]!["code"]!.GetValue<int>()); // ResourceExhausted
        Assert.Contains("message", Reason(result.Outputs[1]), StringComparison.OrdinalIgnoreCase);
        // The file run names the setting by its own property (the command line by its flag).
        Assert.Contains("MaxMessageBytes is 4096 bytes", Reason(result.Outputs[1]));
        Assert.Equal(0, result.Summary.Retries);
        Assert.Equal(before + 2, _fixture.Server.Statistics.Requests);
    }

    [Fact]
    public async Task Raising_the_grpc_limit_lets_the_large_message_through()
    {
        var options = Options(_fixture.Server, "grpc").WithEndpoint(e => e with { MaxMessageBytes = 1 << 20 });

        var result = await RunAsync(options, [WideLine(3000)]);

        Assert.False(IsError(result.Outputs[0]));
        Assert.Equal(3000, result.Outputs[0]["data"]!["ndarray"]![0]!.AsArray().Count);
    }

    [Fact]
    public async Task The_batch_interval_spaces_the_requests_of_a_worker()
    {
        var options = Options(_fixture.Server, "rest").WithBlock(b => b with { Workers = 1, BatchInterval = TimeSpan.FromMilliseconds(200) });
        var clock = Stopwatch.StartNew();

        var result = await RunAsync(options, Enumerable.Range(0, 6).Select(i => $"[[{i}]]"));

        // Six requests, at least 200 ms apart: five gaps. A lower bound on behaviour, not a speed target.
        Assert.Equal(6, result.Summary.Succeeded);
        Assert.True(clock.Elapsed >= TimeSpan.FromMilliseconds(900), $"took only {clock.Elapsed}");
    }
}
