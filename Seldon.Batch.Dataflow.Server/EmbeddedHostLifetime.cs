using Microsoft.Extensions.Hosting;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// Replaces the console lifetime of the web host: the server is a component of the calling application
/// (a CLI command, a test, a benchmark), which owns Ctrl-C and SIGTERM and stops the server itself.
/// </summary>
internal sealed class EmbeddedHostLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
