using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>A built-in server whose model answers each row by its position in the request (<c>serve --answer-position</c>):
/// a run that groups the lines into other micro-batches than another run gets other answers.</summary>
public sealed class PositionServerFixture : IAsyncLifetime
{
    public DemoModelServer Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await DemoModelServer.StartAsync(new ServeOptions { AnswerPosition = true });

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
