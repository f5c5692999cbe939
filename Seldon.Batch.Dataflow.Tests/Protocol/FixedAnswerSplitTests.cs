using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>The built-in server's fixed answers (<c>serve --fixed-answer</c>, what the benchmarks run against) split
/// back into the lines of a micro-batch by the client's composer.</summary>
[Trait("Category", "Integration")]
public sealed class FixedAnswerSplitTests
{
    [Theory]
    [InlineData(TransportType.Rest)]
    [InlineData(TransportType.Grpc)]
    public async Task A_micro_batch_answered_with_fixed_answers_splits_back_into_its_lines(TransportType transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FixedAnswer = true });
        var port = transport == TransportType.Rest ? server.RestPort : server.GrpcPort;
        using var client = PredictionClients.Create(
            new EndpointSettings { Host = $"127.0.0.1:{port}", DeploymentName = "demo", Gateway = GatewayType.Seldon, Transport = transport });
        var encoder = new MicroBatchEncoder(new EncoderSettings(DataType.Data, PayloadType.Ndarray, PredictionMethod.Predict, "run", 3));
        var batch = Assert.Single(encoder.Encode([new InputLine(0, "[[1, 2]]"), new InputLine(1, "[[3, 4], [5, 6]]"), new InputLine(2, "[[7, 8]]")]));

        var response = await client.SendAsync(new PredictionRequest(PredictionMethod.Predict, batch.RequestBody!, batch.Puid), CancellationToken.None);
        var results = new OutputComposer("run").Compose(batch, response.Body, null);

        Assert.True(response.IsSuccess, response.Failure?.Detail);
        Assert.All(results, r => Assert.True(r.Succeeded, r.Failure?.Reason));
        Assert.Equal([1, 2, 1], results.Select(r => JsonNode.Parse(r.Line)!["data"]!["ndarray"]!.AsArray().Count));
        Assert.Equal(0, server.Statistics.BadRequests);
    }
}
