using System.Net;
using System.Net.Sockets;
using System.Text;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;
using static Seldon.Batch.Dataflow.Tests.Fixtures.RawBatch;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>Answers that say the settings reach an endpoint of another kind, over real sockets against the built-in
/// server: a gRPC port asked over REST and the reverse, a route that does not exist, a model the server does not know, a
/// Seldon server asked in V2. Each stops the run at once with its likely cause, in the library's own terms (the setting's
/// type and property, which the command line words as its flags).</summary>
[Trait("Category", "Integration")]
public sealed class WrongEndpointTests : IClassFixture<DemoServerFixture>
{
    /// <summary>A Seldon server's failure (its executor answers a path it cannot serve so).</summary>
    private const string SeldonStatus = """{"status":{"code":500,"info":"no route to a V2 model","status":"FAILURE"}}""";

    private readonly DemoServerFixture _fixture;

    public WrongEndpointTests(DemoServerFixture fixture) => _fixture = fixture;

    private static EndpointSettings Endpoint(int port, InferenceProtocol protocol = InferenceProtocol.Seldon, GatewayType gateway = GatewayType.Seldon) => new()
    {
        Host = $"127.0.0.1:{port}",
        DeploymentName = "demo",
        Gateway = gateway,
        Protocol = protocol,
        Timeout = TimeSpan.FromSeconds(20),
    };

    private static async Task<PredictionFailure> FailureOfAsync(TransportType transport, EndpointSettings endpoint, string body)
    {
        using var client = PredictionClients.Create(endpoint with { Transport = transport });
        var response = await client.SendAsync(new PredictionRequest(PredictionMethod.Predict, body, RequestIds.Next()), CancellationToken.None);
        return Assert.IsType<PredictionFailure>(response.Failure);
    }

    private const string SeldonBody = """{"data":{"ndarray":[[1,2]]}}""";

    private const string V2Body = """{"inputs":[{"name":"input-0","shape":[1,2],"datatype":"FP32","data":[1,2]}]}""";

    [Fact]
    public async Task REST_sent_to_the_gRPC_port_is_a_misconfiguration_naming_the_transport()
    {
        var failure = await FailureOfAsync(TransportType.Rest, Endpoint(_fixture.Server.GrpcPort), SeldonBody);

        // Kestrel refuses HTTP/1.1 on an HTTP/2-only port with a 400 that used to be taken for a refused line.
        Assert.Equal(PredictionFailureKind.Misconfiguration, failure.Kind);
        Assert.Contains("speaks HTTP/2 only", failure.Detail);
        Assert.Contains("is EndpointSettings.Transport right, or EndpointSettings.Host?", failure.Detail);
        Assert.DoesNotContain("--", failure.Detail);
        Assert.Contains("is --transport right, or --host?", failure.FormatDetail(s => s == "Transport" ? "--transport" : "--host"));
    }

    /// <summary>The failure of gRPC sent to a port that does not speak HTTP/2. The server answers the connection preface
    /// with its refusal and closes the connection; where the close reaches the client before it has read the refusal
    /// (the client is still writing its request, or reading it on a loaded machine), the request fails as a lost
    /// connection: an outage, which a run waits out and tries again on a new connection. So does this, a few times.</summary>
    private static async Task<PredictionFailure> RefusalOfGrpcAsync(int port)
    {
        var failure = await FailureOfAsync(TransportType.Grpc, Endpoint(port), SeldonBody);
        for (var attempt = 2; attempt <= 5 && failure.Kind == PredictionFailureKind.Outage; attempt++)
        {
            failure = await FailureOfAsync(TransportType.Grpc, Endpoint(port), SeldonBody);
        }

        return failure;
    }

    [Fact]
    public async Task GRPC_sent_to_the_REST_port_is_a_misconfiguration_naming_the_transport()
    {
        var failure = await RefusalOfGrpcAsync(_fixture.Server.RestPort);

        Assert.Equal(PredictionFailureKind.Misconfiguration, failure.Kind);
        Assert.Contains("does not speak HTTP/2", failure.Detail);
        Assert.Contains("is EndpointSettings.Transport right, or EndpointSettings.Host?", failure.Detail);
        Assert.DoesNotContain("--", failure.Detail);
    }

    [Fact]
    public async Task GRPC_sent_to_a_plain_HTTP_1_1_server_is_a_misconfiguration_not_an_outage()
    {
        // A server that speaks only HTTP/1.1 (nginx, a Flask app) answers gRPC's connection preface with an HTTP/1.1 error.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        using var stop = new CancellationTokenSource();
        var serving = AnswerHttp11Async(listener, stop.Token);
        try
        {
            var failure = await RefusalOfGrpcAsync(((IPEndPoint)listener.LocalEndpoint).Port);

            Assert.Equal(PredictionFailureKind.Misconfiguration, failure.Kind);
            Assert.Contains("does not speak HTTP/2", failure.Detail);
        }
        finally
        {
            await stop.CancelAsync();
            listener.Stop();
            await serving;
        }
    }

    private static async Task AnswerHttp11Async(TcpListener listener, CancellationToken ct)
    {
        var answer = Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\nConnection: close\r\n\r\nBad Request");
        try
        {
            while (!ct.IsCancellationRequested)
            {
                using var socket = await listener.AcceptSocketAsync(ct);
                var buffer = new byte[1024];
                _ = await socket.ReceiveAsync(buffer, SocketFlags.None, ct);
                await socket.SendAsync(answer, SocketFlags.None, ct);
                socket.Shutdown(SocketShutdown.Both);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // The test is over.
        }
    }

    [Fact]
    public async Task A_V2_request_answered_with_a_Seldon_status_is_a_misconfiguration_naming_the_protocol()
    {
        await using var seldon = await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1, AnswerStatus = 500, AnswerBody = SeldonStatus });

        var failure = await FailureOfAsync(TransportType.Rest, Endpoint(seldon.RestPort, InferenceProtocol.V2), V2Body);

        // It used to be a transient failure, retried until the first seconds were over, and blamed on the host.
        Assert.Equal(PredictionFailureKind.Misconfiguration, failure.Kind);
        Assert.Contains("speaks the Seldon protocol, not V2; is EndpointSettings.Protocol right?", failure.Detail);
    }

    [Fact]
    public async Task A_V2_run_against_a_Seldon_server_stops_at_once_naming_the_protocol()
    {
        await using var seldon = await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1, AnswerStatus = 500, AnswerBody = SeldonStatus });
        var options = Options(seldon.RestPort, "rest").WithEndpoint(e => e with { Protocol = InferenceProtocol.V2 }).WithBlock(b => b with { MaxAttempts = 3 });

        var result = await RunFileAsync(options, NumberedInput(20));

        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Contains("speaks the Seldon protocol, not V2; is Protocol right?", result.Summary.StopReason);
        Assert.Empty(result.Outputs);
        Assert.Equal(0, result.Summary.Retries);
        Assert.InRange(seldon.Statistics.Requests, 1, 2 * options.Block.Workers);
    }

    [Fact]
    public async Task A_V2_route_that_does_not_exist_says_the_route_is_wrong_not_the_model()
    {
        // MLServer serves no /seldon/{namespace}/{deployment} prefix: FastAPI answers such a path 404 {"detail":"Not Found"}.
        await using var mlserver = await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1, AnswerStatus = 404, AnswerBody = """{"detail":"Not Found"}""" });
        var options = Options(mlserver.RestPort, "rest").WithEndpoint(e => e with { Protocol = InferenceProtocol.V2, Gateway = GatewayType.Istio });

        var result = await RunFileAsync(options, NumberedInput(20));
        var failure = await FailureOfAsync(TransportType.Rest, Endpoint(mlserver.RestPort, InferenceProtocol.V2, GatewayType.Istio), V2Body);

        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.DoesNotContain("the model is unknown", result.Summary.StopReason);
        Assert.Contains("no such route on the server: is Gateway right?", result.Summary.StopReason);
        Assert.Equal(PredictionFailureKind.Misconfiguration, failure.Kind);
        Assert.Contains("no such route on the server: is EndpointSettings.Gateway right?", failure.Detail);
    }

    [Fact]
    public async Task A_V2_model_the_server_does_not_know_says_the_model_is_unknown()
    {
        var options = Options(_fixture.Server, "rest").WithEndpoint(e => e with { Protocol = InferenceProtocol.V2, ModelName = "nope" });

        var result = await RunFileAsync(options, NumberedInput(20));
        var failure = await FailureOfAsync(TransportType.Rest, Endpoint(_fixture.Server.RestPort, InferenceProtocol.V2) with { ModelName = "nope" }, V2Body);

        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Contains("the model is unknown", result.Summary.StopReason);
        Assert.Contains("is ModelName right (by default DeploymentName)?", result.Summary.StopReason);
        Assert.Contains("Model nope not found", failure.Detail);
        Assert.Contains("is EndpointSettings.ModelName right", failure.Detail);
    }

    public static TheoryData<InferenceProtocol> Protocols => new() { InferenceProtocol.Seldon, InferenceProtocol.V2 };

    [Theory]
    [MemberData(nameof(Protocols))]
    public async Task A_REST_run_against_the_gRPC_port_stops_before_writing_any_error_record(InferenceProtocol protocol)
    {
        var options = Options(_fixture.Server.GrpcPort, "rest").WithEndpoint(e => e with { Protocol = protocol });

        var result = await RunFileAsync(options, NumberedInput(20));

        // It used to complete, every line an error record of the port's 400.
        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Empty(result.Outputs);
        Assert.Equal(0, result.Summary.Failed);
        Assert.Contains("is Transport right, or Host?", result.Summary.StopReason);
    }
}
