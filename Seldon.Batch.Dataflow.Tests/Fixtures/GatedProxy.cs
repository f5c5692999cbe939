using System.Net;
using System.Net.Sockets;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>A TCP relay on a loopback port in front of a server, holding every connection until <see cref="Open"/>:
/// a run sent through it is surely mid-run (its output taken, its first request on the wire, nothing answered) for as
/// long as a test needs, without a delay that a slow machine could outlast.</summary>
public sealed class GatedProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _relays = [];
    private readonly Task _accepting;
    private int _connections;

    /// <param name="targetPort">The loopback port of the server behind the relay.</param>
    public GatedProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    /// <summary>Where clients connect.</summary>
    public int Port { get; }

    /// <summary>Completes when the first client connected (its first request is waiting at the gate).</summary>
    public Task FirstConnection => _connected.Task;

    /// <summary>Connections accepted so far.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Lets every held connection, and every later one, through to the server.</summary>
    public void Open() => _open.TrySetResult();

    private async Task AcceptAsync()
    {
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                Interlocked.Increment(ref _connections);
                _connected.TrySetResult();
                lock (_relays)
                {
                    _relays.Add(RelayAsync(client));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Disposed.
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        using var server = new TcpClient();
        Task[] copies = [];
        try
        {
            await _open.Task.WaitAsync(_stop.Token);
            await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            copies = [client.GetStream().CopyToAsync(server.GetStream(), _stop.Token), server.GetStream().CopyToAsync(client.GetStream(), _stop.Token)];
            // Either side closing ends the relay.
            await Task.WhenAny(copies);
        }
        catch (Exception ex) when (IsGone(ex))
        {
            // A side went away, or the relay is disposed.
        }
        finally
        {
            // Closing both sockets ends the other copy, which is then observed.
            client.Dispose();
            server.Dispose();
            foreach (var copy in copies)
            {
                try
                {
                    await copy;
                }
                catch (Exception ex) when (IsGone(ex))
                {
                    // Ended by the close above.
                }
            }
        }
    }

    private static bool IsGone(Exception ex) => ex is OperationCanceledException or IOException or SocketException or ObjectDisposedException;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        Task[] relays;
        lock (_relays)
        {
            relays = [.. _relays];
        }

        await Task.WhenAll(relays);
        _stop.Dispose();
    }
}
