using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Server.Tests;

[Trait("Category", "Integration")]
public sealed class ServerLifetimeTests
{
    [Fact]
    public async Task WaitForShutdownAsync_ends_when_the_server_is_stopped()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { Host = "localhost" });
        Task waiting = server.WaitForShutdownAsync();
        Assert.False(waiting.IsCompleted);

        await server.StopAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(waiting.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task Cancelling_WaitForShutdownAsync_stops_the_server()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions());
        using var http = new HttpClient { BaseAddress = server.RestBaseAddress };
        Assert.Equal("pong", await http.GetStringAsync("/health/ping"));
        using var shutdown = new CancellationTokenSource();

        Task waiting = server.WaitForShutdownAsync(shutdown.Token);
        await shutdown.CancelAsync();
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        using var freshClient = new HttpClient { BaseAddress = server.RestBaseAddress };
        await Assert.ThrowsAsync<HttpRequestException>(() => freshClient.GetStringAsync("/health/ping"));
    }

    [Fact]
    public async Task Stopping_twice_and_disposing_after_stopping_are_harmless()
    {
        DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1 });

        await server.StopAsync();
        await server.StopAsync();
        await server.DisposeAsync();

        Assert.Equal(0, server.Statistics.Requests);
    }
}
