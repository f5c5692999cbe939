using BenchmarkDotNet.Attributes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Benchmarks;

/// <summary>One request of one micro-batch through each client, against the built-in server's fixed answers on
/// loopback: the client's cost per request (time includes the server's share; the allocations are the client's).</summary>
[MemoryDiagnoser]
public class TransportBenchmarks
{
    private DemoModelServer _server = null!;
    private IPredictionClient _client = null!;
    private PredictionRequest _request = null!;

    /// <summary>Lines per request.</summary>
    [Params(1, 32)]
    public int BatchSize { get; set; }

    /// <summary>REST or gRPC.</summary>
    [Params(TransportType.Rest, TransportType.Grpc)]
    public TransportType Transport { get; set; }

    [GlobalSetup]
    public async Task Setup()
    {
        _server = await DemoModelServer.StartAsync(new ServeOptions { FixedAnswer = true });
        var port = Transport == TransportType.Rest ? _server.RestPort : _server.GrpcPort;
        _client = PredictionClients.Create(
            new EndpointSettings { Host = $"127.0.0.1:{port}", DeploymentName = "bench", Gateway = GatewayType.Seldon, Transport = Transport });
        var encoder = new MicroBatchEncoder(new EncoderSettings(DataType.Data, PayloadType.Ndarray, PredictionMethod.Predict, "bench", BatchSize));
        var lines = Enumerable.Range(0, BatchSize).Select(i => new InputLine(i, $"[[{i}, 19, 50, 83]]")).ToArray();
        _request = new PredictionRequest(PredictionMethod.Predict, encoder.Encode(lines).Single().RequestBody!, "bench");
        if (!(await _client.SendAsync(_request, CancellationToken.None)).IsSuccess)
        {
            throw new InvalidOperationException("the fixed-answer server did not answer: fix the benchmark");
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    /// <summary>One request, sent and answered.</summary>
    [Benchmark]
    public Task<PredictionResponse> Send() => _client.SendAsync(_request, CancellationToken.None);
}
