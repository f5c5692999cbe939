using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>One fault-free built-in model server (REST and gRPC on ephemeral loopback ports) shared by a test class.</summary>
public sealed class DemoServerFixture : IAsyncLifetime
{
    public DemoModelServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await DemoModelServer.StartAsync(new ServeOptions());

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
