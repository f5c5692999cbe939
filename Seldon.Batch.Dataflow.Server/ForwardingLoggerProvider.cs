using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// Hands the logs of the embedded web host (Kestrel, ASP.NET Core, gRPC) to the caller's logger factory, so the
/// server logs where the calling application logs and never on its own.
/// </summary>
internal sealed class ForwardingLoggerProvider(ILoggerFactory target) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => target.CreateLogger(categoryName);

    public void Dispose()
    {
        // The factory belongs to the caller, who disposes it.
    }
}
