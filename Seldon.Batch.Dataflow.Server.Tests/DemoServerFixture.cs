using Grpc.Net.Client;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>A demo server without faults, shared by the tests of one class, with a REST and a gRPC client.</summary>
public sealed class DemoServerFixture : IAsyncLifetime
{
    private DemoModelServer? _server;
    private GrpcChannel? _channel;
    private HttpClient? _http;

    public DemoModelServer Server => _server ?? throw new InvalidOperationException("The server has not started.");

    public HttpClient Http => _http ?? throw new InvalidOperationException("The server has not started.");

    internal Seldon.Protos.Seldon.SeldonClient Grpc =>
        new(_channel ?? throw new InvalidOperationException("The server has not started."));

    public async Task InitializeAsync()
    {
        _server = await DemoModelServer.StartAsync(new ServeOptions());
        _http = new HttpClient { BaseAddress = _server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        _http?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
