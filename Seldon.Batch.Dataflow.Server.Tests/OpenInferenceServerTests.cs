using System.IO.Compression;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Inference.Grpc;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>The Open Inference Protocol (V2) of the demo server, over REST and gRPC, shaped like MLServer's.</summary>
[Trait("Category", "Integration")]
public sealed class OpenInferenceServerTests(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>
{
    private const string Infer = "/v2/models/demo/infer";

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(string path, string json, HttpClient? client = null)
    {
        using var response = await (client ?? fixture.Http).PostAsync(path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private GRPCInferenceService.GRPCInferenceServiceClient Grpc(GrpcChannel channel) => new(channel);

    [Fact]
    public async Task Inputs_come_back_doubled_or_upper_cased_under_their_own_names()
    {
        var (status, body) = await PostAsync(Infer,
            """{"id":"r-1","inputs":[{"name":"x","shape":[2,2],"datatype":"FP64","data":[[1,2],[3,4.5]]},{"name":"n","shape":[1],"datatype":"INT32","data":[21]},{"name":"t","shape":[1],"datatype":"BYTES","data":["héllo"]}]}""");

        Assert.Equal(HttpStatusCode.OK, status);
        var answer = JsonNode.Parse(body)!;
        Assert.Equal("r-1", (string?)answer["id"]);
        Assert.Equal("demo", (string?)answer["model_name"]);
        Assert.Equal("1", (string?)answer["model_version"]);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[2,4,6,9]"), answer["outputs"]![0]!["data"]));
        Assert.Equal("[2,2]", answer["outputs"]![0]!["shape"]!.ToJsonString());
        Assert.Equal("[42]", answer["outputs"]![1]!["data"]!.ToJsonString());
        Assert.Equal("HÉLLO", (string?)answer["outputs"]![2]!["data"]![0]);
        Assert.Equal("str", (string?)answer["outputs"]![2]!["parameters"]!["content_type"]);
    }

    [Fact]
    public async Task Ready_and_metadata_answer_for_the_demo_model_and_404_for_others()
    {
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync("/v2/models/demo/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await fixture.Http.GetAsync("/seldon/ns/dep/v2/models/demo/versions/1/ready")).StatusCode);
        var metadata = JsonNode.Parse(await fixture.Http.GetStringAsync("/v2/models/demo"))!;
        Assert.Equal("features", (string?)metadata["inputs"]![0]!["name"]);
        Assert.Equal("FP64", (string?)metadata["inputs"]![0]!["datatype"]);

        using var unknown = await fixture.Http.GetAsync("/v2/models/nope/ready");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal("""{"error":"Model nope not found"}""", await unknown.Content.ReadAsStringAsync());
        var (status, body) = await PostAsync("/v2/models/demo/versions/9/infer", """{"inputs":[]}""");
        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("""{"error":"Model demo with version 9 not found"}""", body);
    }

    [Theory]
    [InlineData("{not json", 422, "detail")]
    [InlineData("""{"id":"x"}""", 422, "detail")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FLOAT","data":[1]}]}""", 422, "detail")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP64","data":[1,2,3]}]}""", 500, "cannot reshape array of size 3")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}],"outputs":[{"name":"nope"}]}""", 400, "mlserver.errors.InferenceError: demo: unknown output 'nope'")]
    public async Task Errors_have_mlservers_statuses_and_bodies(string request, int expected, string fragment)
    {
        var (status, body) = await PostAsync(Infer, request);

        Assert.Equal(expected, (int)status);
        Assert.Contains(fragment, body);
    }

    [Fact]
    public async Task An_answer_of_500_bytes_or_more_is_gzipped_when_asked()
    {
        var values = string.Join(',', Enumerable.Range(0, 200));
        var request = $$"""{"inputs":[{"name":"x","shape":[200],"datatype":"INT64","data":[{{values}}]}]}""";
        using var plain = new HttpClient { BaseAddress = fixture.Server.RestBaseAddress };
        plain.DefaultRequestHeaders.AcceptEncoding.ParseAdd("gzip");

        using var response = await plain.PostAsync(Infer, new StringContent(request, Encoding.UTF8, "application/json"));

        Assert.Equal("gzip", Assert.Single(response.Content.Headers.ContentEncoding));
        await using var gzip = new GZipStream(await response.Content.ReadAsStreamAsync(), CompressionMode.Decompress);
        var answer = JsonNode.Parse(await new StreamReader(gzip).ReadToEndAsync())!;
        Assert.Equal(398, (long)answer["outputs"]![0]!["data"]![199]!);
        var (_, small) = await PostAsync(Infer, """{"inputs":[{"name":"x","shape":[1],"datatype":"INT64","data":[1]}]}""", plain);
        Assert.Contains("\"data\":[2]", small);
    }

    [Fact]
    public async Task Grpc_answers_raw_when_asked_raw_and_typed_when_asked_typed()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Server.GrpcAddress);
        var client = Grpc(channel);
        var typed = new ModelInferRequest { ModelName = "demo", Id = "g-1" };
        typed.Inputs.Add(new ModelInferRequest.Types.InferInputTensor
        {
            Name = "x",
            Datatype = "FP64",
            Shape = { 2 },
            Contents = new InferTensorContents { Fp64Contents = { 1.5, 2 } },
        });
        var raw = new ModelInferRequest { ModelName = "demo" };
        raw.Inputs.Add(new ModelInferRequest.Types.InferInputTensor { Name = "x", Datatype = "FP64", Shape = { 2 } });
        raw.RawInputContents.Add(ByteString.CopyFrom([.. BitConverter.GetBytes(1.5), .. BitConverter.GetBytes(2.0)]));

        var typedAnswer = await client.ModelInferAsync(typed);
        var rawAnswer = await client.ModelInferAsync(raw);

        Assert.Equal("g-1", typedAnswer.Id);
        Assert.Equal([3.0, 4.0], typedAnswer.Outputs[0].Contents.Fp64Contents);
        Assert.Empty(typedAnswer.RawOutputContents);
        Assert.Equal(16, rawAnswer.RawOutputContents[0].Length);
        Assert.Equal(4.0, BitConverter.ToDouble(rawAnswer.RawOutputContents[0].Span[8..]));
    }

    [Fact]
    public async Task Grpc_readiness_and_metadata_of_an_unknown_model_fail_as_mlserver_fails_them()
    {
        using var channel = GrpcChannel.ForAddress(fixture.Server.GrpcAddress);
        var client = Grpc(channel);

        Assert.True((await client.ModelReadyAsync(new ModelReadyRequest { Name = "demo" })).Ready);
        Assert.Equal("features", (await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "demo" })).Inputs[0].Name);
        var ready = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelReadyAsync(new ModelReadyRequest { Name = "nope" }));
        Assert.Equal(StatusCode.Unknown, ready.StatusCode);
        Assert.Contains("ModelNotFound", ready.Status.Detail);
        var metadata = await Assert.ThrowsAsync<RpcException>(async () => await client.ModelMetadataAsync(new ModelMetadataRequest { Name = "nope" }));
        Assert.Equal(StatusCode.NotFound, metadata.StatusCode);
        var refused = new ModelInferRequest { ModelName = "demo", Outputs = { new ModelInferRequest.Types.InferRequestedOutputTensor { Name = "nope" } } };
        Assert.Equal(StatusCode.InvalidArgument, (await Assert.ThrowsAsync<RpcException>(async () => await client.ModelInferAsync(refused))).StatusCode);
    }

    [Fact]
    public async Task Inference_goes_through_the_fault_injection()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailFirst = 2, FailStatus = 503 });
        using var http = new HttpClient { BaseAddress = server.RestBaseAddress };
        using var channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var line = """{"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]}""";

        var (status, body) = await PostAsync(Infer, line, http);
        var grpc = await Assert.ThrowsAsync<RpcException>(async () => await Grpc(channel).ModelInferAsync(new ModelInferRequest { ModelName = "demo" }));
        var (after, _) = await PostAsync(Infer, line, http);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, status);
        Assert.Equal("""{"error":"injected failure"}""", body);
        Assert.Equal(StatusCode.Unavailable, grpc.StatusCode);
        Assert.Equal(HttpStatusCode.OK, after);
        Assert.Equal(2, server.Statistics.InjectedFailures);
    }

    [Fact]
    public async Task A_fixed_answer_server_answers_zeros_with_the_requests_rows()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FixedAnswer = true });
        using var http = new HttpClient { BaseAddress = server.RestBaseAddress };

        var (status, body) = await PostAsync(Infer, """{"inputs":[{"name":"x","shape":[3,2],"datatype":"FP64","data":[1,2,3,4,5,6]}]}""", http);

        Assert.Equal(HttpStatusCode.OK, status);
        var output = JsonNode.Parse(body)!["outputs"]![0]!;
        Assert.Equal("[3,1]", output["shape"]!.ToJsonString());
        Assert.Equal("[0.0,0.0,0.0]", output["data"]!.ToJsonString()); // FP64, written as MLServer (Python) writes floats
    }
}
