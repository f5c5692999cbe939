using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Grpc.Net.Client;
using Inference.Grpc;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>The model of <c>serve --answer-position</c>: a row's answer depends on its position in the request (Seldon:
/// each value 2·v + i; Open Inference: an output <c>position</c>), over REST and gRPC.</summary>
[Trait("Category", "Integration")]
public sealed class AnswerPositionTests : IAsyncLifetime
{
    private const string Predictions = "/api/v1.0/predictions";
    private const string Infer = "/v2/models/demo/infer";
    private DemoModelServer _server = null!;
    private HttpClient _http = null!;
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        _server = await DemoModelServer.StartAsync(new ServeOptions { AnswerPosition = true });
        _http = new HttpClient { BaseAddress = _server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(10) };
        _channel = GrpcChannel.ForAddress(_server.GrpcAddress);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        _http.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task An_ndarray_row_is_answered_doubled_plus_its_position()
    {
        var answer = await RestExchange.PostAsync(_http, Predictions, """{"data":{"ndarray":[[1,2],[0,0],[0.5,-1]]}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Contains("\"ndarray\":[[2.0,4.0],[1.0,1.0],[3.0,0.0]]", answer.Body);
    }

    [Fact]
    public async Task The_same_row_is_answered_differently_at_another_position()
    {
        var alone = await RestExchange.PostAsync(_http, Predictions, """{"data":{"ndarray":[[7]]}}""");
        var third = await RestExchange.PostAsync(_http, Predictions, """{"data":{"ndarray":[[0],[0],[7]]}}""");

        Assert.Contains("\"ndarray\":[[14]]", alone.Body);
        Assert.Contains("\"ndarray\":[[0],[1],[16]]", third.Body);
    }

    [Fact]
    public async Task Scalar_rows_and_tensor_rows_carry_their_positions()
    {
        var scalars = await RestExchange.PostAsync(_http, Predictions, """{"data":{"ndarray":[0,0,0]}}""");
        var tensor = await RestExchange.PostAsync(_http, Predictions, """{"data":{"tensor":{"shape":[3,2],"values":[0,0,0,0,1,1]}}}""");

        Assert.Contains("\"ndarray\":[0,1,2]", scalars.Body);
        var values = tensor.Json["data"]!["tensor"]!["values"]!.AsArray().Select(v => v!.GetValue<double>());
        Assert.Equal([0.0, 0.0, 1.0, 1.0, 4.0, 4.0], values);
        Assert.Equal("[3,2]", tensor.Json["data"]!["tensor"]!["shape"]!.ToJsonString());
    }

    [Fact]
    public async Task Grpc_answers_what_rest_answers()
    {
        var request = new SeldonMessage
        {
            Data = new DefaultData
            {
                Ndarray = new ListValue
                {
                    Values =
                    {
                        Value.ForList(Value.ForNumber(1), Value.ForNumber(2)),
                        Value.ForList(Value.ForNumber(1), Value.ForNumber(2)),
                    },
                },
            },
        };

        var answer = await new Seldon.Protos.Seldon.SeldonClient(_channel).PredictAsync(request);

        Assert.Equal([2.0, 4.0], answer.Data.Ndarray.Values[0].ListValue.Values.Select(v => v.NumberValue));
        Assert.Equal([3.0, 5.0], answer.Data.Ndarray.Values[1].ListValue.Values.Select(v => v.NumberValue));
    }

    [Fact]
    public async Task Open_inference_answers_an_output_position_per_row_of_the_first_dimension()
    {
        using var content = new StringContent(
            """{"inputs":[{"name":"x","shape":[3,2],"datatype":"FP64","data":[1,2,3,4,5,6]}]}""", Encoding.UTF8, "application/json");
        using var response = await _http.PostAsync(Infer, content);
        var answer = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var outputs = answer["outputs"]!.AsArray();
        Assert.Equal("[2.0,4.0,6.0,8.0,10.0,12.0]", outputs[0]!["data"]!.ToJsonString());
        var position = outputs.Single(o => (string?)o!["name"] == "position")!;
        Assert.Equal("INT64", (string?)position["datatype"]);
        Assert.Equal("[3]", position["shape"]!.ToJsonString());
        Assert.Equal("[0,1,2]", position["data"]!.ToJsonString());
    }

    [Fact]
    public async Task Open_inference_over_grpc_answers_the_position_when_asked_for_it_by_name()
    {
        var request = new ModelInferRequest { ModelName = "demo", Outputs = { new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "position" } } };
        request.Inputs.Add(new ModelInferRequest.Types.InferInputTensor
        {
            Name = "x",
            Datatype = "INT64",
            Shape = { 2, 1 },
            Contents = new InferTensorContents { Int64Contents = { 5, 6 } },
        });

        var answer = await new GRPCInferenceService.GRPCInferenceServiceClient(_channel).ModelInferAsync(request);

        var position = Assert.Single(answer.Outputs);
        Assert.Equal("position", position.Name);
        Assert.Equal([2L], position.Shape);
        Assert.Equal([0L, 1L], position.Contents.Int64Contents);
    }

    [Fact]
    public async Task Without_the_option_rows_are_only_doubled_and_there_is_no_position_output()
    {
        await using var plain = await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1 });
        using var http = new HttpClient { BaseAddress = plain.RestBaseAddress };

        var seldon = await RestExchange.PostAsync(http, Predictions, """{"data":{"ndarray":[[1],[1]]}}""");
        var v2 = await RestExchange.PostAsync(http, Infer, """{"inputs":[{"name":"x","shape":[2],"datatype":"FP64","data":[1,1]}]}""");

        Assert.Contains("\"ndarray\":[[2],[2]]", seldon.Body);
        Assert.DoesNotContain("position", v2.Body);
    }
}
