using System.Net;
using System.Net.Sockets;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>Ports on the loopback interface for servers a test starts or a closed endpoint it points at; linked into the
/// CLI's tests too.</summary>
public static class LoopbackPort
{
    /// <summary>A port that was free a moment ago (bound to port 0, then released).</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
