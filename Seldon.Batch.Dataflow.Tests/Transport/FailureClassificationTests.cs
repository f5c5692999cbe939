using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The classification table of docs/operations.md: what each HTTP answer and gRPC status means for the run.</summary>
public sealed class FailureClassificationTests
{
    private const string ModelError = """{"status":{"code":-1,"info":"boom","reason":"MICROSERVICE_INTERNAL_ERROR","status":1}}""";

    [Theory]
    [InlineData(400, "", PredictionFailureKind.Line)]
    [InlineData(422, "", PredictionFailureKind.Line)]
    [InlineData(413, "", PredictionFailureKind.Line)]
    [InlineData(500, ModelError, PredictionFailureKind.Line)]
    [InlineData(500, "upstream crashed", PredictionFailureKind.Transient)]
    [InlineData(429, "", PredictionFailureKind.Transient)]
    [InlineData(408, "", PredictionFailureKind.Transient)]
    [InlineData(507, "", PredictionFailureKind.Transient)]
    [InlineData(502, "", PredictionFailureKind.Outage)]
    [InlineData(503, "no healthy upstream", PredictionFailureKind.Outage)]
    [InlineData(503, ModelError, PredictionFailureKind.Outage)]
    [InlineData(504, "", PredictionFailureKind.Outage)]
    [InlineData(404, "", PredictionFailureKind.Misconfiguration)]
    [InlineData(401, "", PredictionFailureKind.Misconfiguration)]
    [InlineData(403, "", PredictionFailureKind.Misconfiguration)]
    [InlineData(405, "", PredictionFailureKind.Misconfiguration)]
    [InlineData(301, "", PredictionFailureKind.Misconfiguration)]
    [InlineData(200, "<html></html>", PredictionFailureKind.Misconfiguration)]
    public void An_HTTP_answer_is_classified_by_its_status_and_body(int status, string body, PredictionFailureKind expected)
    {
        Assert.Equal(expected, RestPredictionClient.Classify(status, body));
    }

    [Theory]
    [InlineData(404, "is the deployment name right?")]
    [InlineData(401, "is the token right?")]
    [InlineData(405, "is the gateway type right?")]
    [InlineData(200, "is EndpointSettings.Host a model endpoint")]
    public void A_misconfiguration_names_its_likely_cause(int status, string cause)
    {
        Assert.Contains(cause, RestPredictionClient.LikelyCause(PredictionFailureKind.Misconfiguration, status));
        Assert.Equal("", RestPredictionClient.LikelyCause(PredictionFailureKind.Line, status));
    }

    [Theory]
    [InlineData(StatusCode.InvalidArgument, "bad row", PredictionFailureKind.Line)]
    [InlineData(StatusCode.Internal, "model failed", PredictionFailureKind.Line)]
    [InlineData(StatusCode.Unknown, "exception", PredictionFailureKind.Line)]
    [InlineData(StatusCode.ResourceExhausted, "Received message larger than max (5 vs. 4)", PredictionFailureKind.Line)]
    [InlineData(StatusCode.ResourceExhausted, "too busy", PredictionFailureKind.Transient)]
    [InlineData(StatusCode.DeadlineExceeded, "", PredictionFailureKind.Transient)]
    [InlineData(StatusCode.Aborted, "", PredictionFailureKind.Transient)]
    [InlineData(StatusCode.Unavailable, "no healthy upstream", PredictionFailureKind.Outage)]
    [InlineData(StatusCode.Unimplemented, "", PredictionFailureKind.Misconfiguration)]
    [InlineData(StatusCode.Unauthenticated, "", PredictionFailureKind.Misconfiguration)]
    [InlineData(StatusCode.PermissionDenied, "", PredictionFailureKind.Misconfiguration)]
    [InlineData(StatusCode.NotFound, "", PredictionFailureKind.Misconfiguration)]
    [InlineData(StatusCode.Cancelled, "Bad gRPC response. Invalid content-type value: text/html", PredictionFailureKind.Misconfiguration)]
    public void A_gRPC_status_is_classified(StatusCode code, string detail, PredictionFailureKind expected)
    {
        Assert.Equal(expected, GrpcPredictionClient.Classify(new RpcException(new Status(code, detail))));
    }

    [Fact]
    public void A_gRPC_failure_of_the_connection_itself_is_an_outage()
    {
        var reset = new RpcException(new Status(StatusCode.Internal, "Error starting gRPC call.", new HttpRequestException("reset", new SocketException(104))));

        Assert.Equal(PredictionFailureKind.Outage, GrpcPredictionClient.Classify(reset));
        Assert.True(GrpcPredictionClient.IsUnanswered(reset));
    }
}
