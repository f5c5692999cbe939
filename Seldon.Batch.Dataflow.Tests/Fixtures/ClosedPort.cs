using System.Net;
using System.Net.Sockets;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>A loopback port where nothing listens, held for as long as the test points at it: a socket bound to it, never
/// listening, so a connection to it is refused. A port merely released (<see cref="LoopbackPort.Free"/>) can be given to
/// a server another test starts meanwhile (test classes run in parallel), which would then answer this test's requests
/// and count them as its own. Linked into the CLI's tests too.</summary>
public sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ClosedPort()
    {
        // Without SO_REUSEADDR no other socket can bind the port, even one that asks for reuse.
        _socket.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, false);
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Port = ((IPEndPoint)_socket.LocalEndPoint!).Port;
    }

    public int Port { get; }

    public void Dispose() => _socket.Dispose();
}
