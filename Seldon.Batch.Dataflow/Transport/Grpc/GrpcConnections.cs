using Grpc.Core;
using Grpc.Net.Client;

namespace Seldon.Batch.Dataflow;

/// <summary>
/// The HTTP/2 connections of one gRPC endpoint: a channel (its own handler, so its own connection) for every
/// <see cref="CallsPerConnection"/> calls in flight, opened as the calls in flight grow, up to
/// <see cref="MaxConnections"/>; each call goes to the open channel with the fewest calls in flight.
/// </summary>
/// <remarks>
/// One connection carries every call of every worker otherwise: a client opens a second one only when the server's
/// stream limit is reached (Kestrel allows 100, grpc-go and grpcio far more), so 16 workers share one socket, one
/// frame writer and one frame reader on each side, and at batch size 32 the calls queue there while the cores are not
/// busy. REST, over HTTP/1.1, has a connection per worker. The pool follows the calls in flight rather than a setting:
/// one worker keeps one connection, 16 workers get four.
/// </remarks>
internal sealed class GrpcConnections : IDisposable
{
    /// <summary>Calls in flight a connection takes before another is opened.</summary>
    internal const int CallsPerConnection = 4;

    /// <summary>The most connections opened; past it the calls share them (and each still opens more connections
    /// when the server's stream limit is reached).</summary>
    internal const int MaxConnections = 8;

    private readonly Func<GrpcChannel> _open;
    private readonly Connection[] _connections = new Connection[MaxConnections];
    private readonly Lock _lock = new();
    private int _opened;

    /// <summary>A pool that opens its channels with <paramref name="open"/>; the first is opened here.</summary>
    public GrpcConnections(Func<GrpcChannel> open)
    {
        _open = open;
        _connections[0] = new Connection(open());
        _opened = 1;
    }

    /// <summary>The first channel's invoker, for calls outside the prediction path (readiness, metadata).</summary>
    public CallInvoker First => _connections[0].Invoker;

    /// <summary>How many channels are open.</summary>
    public int Opened => Volatile.Read(ref _opened);

    /// <summary>The channel for one call, counted in flight until the lease is disposed.</summary>
    public Lease Rent()
    {
        lock (_lock)
        {
            var least = _connections[0];
            for (var i = 1; i < _opened; i++)
            {
                if (_connections[i].Calls < least.Calls)
                {
                    least = _connections[i];
                }
            }

            if (least.Calls >= CallsPerConnection && _opened < MaxConnections)
            {
                // Opening a channel makes objects only: its connection is made by its first call.
                least = _connections[_opened] = new Connection(_open());
                _opened++;
            }

            least.Calls++;
            return new Lease(this, least);
        }
    }

    private void Return(Connection connection)
    {
        lock (_lock)
        {
            connection.Calls--;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            for (var i = 0; i < _opened; i++)
            {
                _connections[i].Channel.Dispose();
            }
        }
    }

    /// <summary>One call's channel; disposing it ends the call's count.</summary>
    internal readonly struct Lease(GrpcConnections pool, GrpcConnections.Connection connection) : IDisposable
    {
        /// <summary>The invoker of the call's channel.</summary>
        public CallInvoker Invoker => connection.Invoker;

        /// <inheritdoc />
        public void Dispose() => pool.Return(connection);
    }

    /// <summary>A channel and its calls in flight (changed under the pool's lock).</summary>
    internal sealed class Connection(GrpcChannel channel)
    {
        public GrpcChannel Channel { get; } = channel;

        public CallInvoker Invoker { get; } = channel.CreateCallInvoker();

        public int Calls { get; set; }
    }
}
