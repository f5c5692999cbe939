using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The gRPC client spreads its calls over HTTP/2 connections that follow the calls in flight: one for a
/// worker, one per four calls in flight up to eight, and more when the calls exceed what a connection may carry
/// (Kestrel allows 100 streams at once per connection) rather than queue.</summary>
[Trait("Category", "Integration")]
public sealed class GrpcConnectionTests
{
    [Fact]
    public async Task Hundreds_of_workers_spread_their_calls_over_several_http2_connections()
    {
        // Each call is held 300 ms in the server, so 300 workers have about 300 calls in flight at once.
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 300, RestPort = 0 });

        var result = await RunAsync(Options(server, "grpc").WithBlock(b => b with { Workers = 300 }), Enumerable.Repeat("[[1, 2]]", 600));

        AssertOrdered(result, 600);
        Assert.Equal(0, result.Summary.Failed);
        Assert.True(server.Statistics.MaxConcurrentGrpcCalls > 100, $"only {server.Statistics.MaxConcurrentGrpcCalls} calls at once");
        Assert.True(server.Statistics.GrpcConnections >= 2, $"{server.Statistics.GrpcConnections} connection(s) for {server.Statistics.MaxConcurrentGrpcCalls} calls at once");
    }

    [Fact]
    public async Task One_worker_keeps_one_connection()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 5 });

        var result = await RunAsync(Options(server, "grpc").WithBlock(b => b with { Workers = 1 }), Enumerable.Repeat("[[1, 2]]", 32));

        AssertOrdered(result, 32);
        Assert.Equal(1, server.Statistics.GrpcConnections);
    }

    [Fact]
    public async Task Sixteen_workers_spread_their_calls_over_four_connections()
    {
        // Each call is held 20 ms in the server, so the 16 workers have their calls in flight together: four calls per
        // connection (GrpcConnections.CallsPerConnection) make four connections, each carrying a share of the calls.
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 20 });

        var result = await RunAsync(Options(server, "grpc").WithBlock(b => b with { Workers = 16 }), Enumerable.Repeat("[[1, 2]]", 640));

        AssertOrdered(result, 640);
        Assert.Equal(0, result.Summary.Failed);
        var calls = server.Statistics.GrpcCallsPerConnection;
        Assert.True(calls.Count >= 16 / GrpcConnections.CallsPerConnection, $"{calls.Count} connection(s) for 16 workers: {string.Join(", ", calls)} calls");
        // None carries most of the calls: the least-loaded channel gets the next call.
        Assert.True(calls[0] < 640 / 2, $"one connection carried {calls[0]} of 640 calls: {string.Join(", ", calls)}");
    }
}
