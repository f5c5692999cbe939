using System.Text.Json;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

/// <summary>The Open Inference Protocol (V2) through the built-in server over real sockets: transport × data type ×
/// batch size, order, model errors, bad lines, an unknown model, gzip answers, and REST and gRPC giving the same lines.</summary>
[Trait("Category", "Integration")]
public sealed class OpenInferenceMatrixTests : IClassFixture<DemoServerFixture>
{
    private readonly DemoServerFixture _fixture;

    public OpenInferenceMatrixTests(DemoServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string, string, int> Matrix()
    {
        var data = new TheoryData<string, string, int>();
        foreach (var transport in new[] { "rest", "grpc" })
        {
            foreach (var dataType in new[] { "data", "raw", "str", "json" })
            {
                foreach (var batchSize in new[] { 1, 5, 32 })
                {
                    data.Add(transport, dataType, batchSize);
                }
            }
        }

        return data;
    }

    internal static BatchOptions V2(DemoModelServer server, string transport) => Options(server, transport).WithEndpoint(e => e with { Protocol = InferenceProtocol.V2 });

    private static JsonObject Parameters(JsonObject output) => output["parameters"]!.AsObject();

    /// <summary>One line per input line, line k tagged with batch_index k, and every line's batch_instance_id its own.</summary>
    internal static void AssertOrderedV2(BatchResult result, int expectedLines)
    {
        Assert.Equal(expectedLines, result.Outputs.Length);
        for (var k = 0; k < expectedLines; k++)
        {
            var parameters = Parameters(result.Outputs[k]);
            Assert.Equal(k, parameters["batch_index"]!.GetValue<long>());
            Assert.Equal("test-batch", parameters["batch_id"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(parameters["inference_id"]?.GetValue<string>()));
        }

        Assert.Equal(expectedLines, result.Outputs.Select(o => Parameters(o)["batch_instance_id"]!.GetValue<string>()).Distinct().Count());
    }

    /// <summary>The data of the line's first output, compared as parsed JSON (3 and 3.0 are the same number).</summary>
    private static void AssertFirstData(string expected, JsonObject output) =>
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), output["outputs"]![0]!["data"]), output.ToJsonString());

    private static (string[] Lines, Func<int, string> Expected) Case(string dataType, int count) => dataType switch
    {
        "data" => ([.. Enumerable.Range(0, count).Select(i => $"[[{i}, {i + 0.5}, 3]]")], i => $"[{2 * i},{2 * i + 1},6]"),
        "raw" => ([.. Enumerable.Range(0, count).Select(i => $$"""{"id":"line-{{i}}","inputs":[{"name":"x","shape":[1,2],"datatype":"INT64","data":[[{{i}},{{i + 1}}]]}]}""")],
            i => $"[{2 * i},{2 * i + 2}]"),
        "str" => ([.. Enumerable.Range(0, count).Select(i => $"\"héllo {i}\"")], i => $"[\"HÉLLO {i}\"]"),
        _ => ([.. Enumerable.Range(0, count).Select(i => $$"""{"customer": {{i}}, "plan": "basic"}""")], i => $$"""["{\"CUSTOMER\":{{i}},\"PLAN\":\"BASIC\"}"]"""),
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task Every_line_comes_back_answered_in_order(string transport, string dataType, int batchSize)
    {
        const int count = 40;
        var (lines, expected) = Case(dataType, count);
        var options = V2(_fixture.Server, transport).WithBlock(b => b with { DataType = Enum.Parse<DataType>(dataType, true), BatchSize = batchSize });
        var result = await RunAsync(options, lines);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertOrderedV2(result, count);
        Assert.Equal(count, result.Summary.Succeeded);
        Assert.Equal((count + batchSize - 1) / batchSize, result.Summary.Requests);
        for (var i = 0; i < count; i++)
        {
            var output = result.Outputs[i];
            Assert.Equal("demo", output["model_name"]!.GetValue<string>());
            Assert.Equal("demo", Parameters(output)["model"]!.GetValue<string>());
            var tensor = Assert.Single(output["outputs"]!.AsArray())!;
            Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected(i)), tensor["data"]), $"line {i}: {tensor["data"]!.ToJsonString()}");
            Assert.Equal(1, tensor["shape"]![0]!.GetValue<long>());
            if (dataType == "raw")
            {
                Assert.Equal($"line-{i}", output["id"]!.GetValue<string>());
                Assert.Equal("x", tensor["name"]!.GetValue<string>());
            }
            else
            {
                // The name comes from the model's metadata; the datatype too for arrays.
                Assert.Equal("features", tensor["name"]!.GetValue<string>());
                Assert.Equal(dataType == "data" ? "FP64" : "BYTES", tensor["datatype"]!.GetValue<string>());
            }
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Order_is_kept_under_random_server_delays(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { MaxRandomDelayMs = 30, Seed = 7 });
        var (lines, expected) = Case("data", 120);
        var result = await RunAsync(V2(server, transport).WithBlock(b => b with { Workers = 8, BatchSize = 3 }), lines);

        AssertOrderedV2(result, 120);
        for (var i = 0; i < 120; i++)
        {
            AssertFirstData(expected(i), result.Outputs[i]);
        }
    }

    [Theory]
    [InlineData("rest", 1)]
    [InlineData("rest", 5)]
    [InlineData("grpc", 1)]
    [InlineData("grpc", 5)]
    public async Task A_line_the_model_refuses_and_a_bad_line_are_their_own_error_records(string transport, int batchSize)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        var good = """{"inputs":[{"name":"x","shape":[1,1],"datatype":"FP64","data":[1]}]}""";
        var refused = """{"id":"bad-output","inputs":[{"name":"x","shape":[1,1],"datatype":"FP64","data":[1]}],"outputs":[{"name":"nope"}]}""";
        var lines = new[] { good, refused, good, "{not json", good, """{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP64","data":[1,2,3]}]}""", good };
        var result = await RunAsync(V2(server, transport).WithBlock(b => b with { DataType = DataType.Raw, BatchSize = batchSize }), lines);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertOrderedV2ErrorsIncluded(result, lines.Length);
        Assert.Equal(4, result.Summary.Succeeded);
        foreach (var k in new[] { 0, 2, 4, 6 })
        {
            Assert.Null(result.Outputs[k]["error"]);
            AssertFirstData("[2]", result.Outputs[k]);
        }

        var refusal = result.Outputs[1];
        Assert.Equal("bad-output", refusal["id"]!.GetValue<string>());
        Assert.Equal(transport == "rest" ? 400 : 3, refusal["error"]!["code"]!.GetValue<int>());
        Assert.Contains("unknown output 'nope'", refusal["error"]!["msg"]!.GetValue<string>());
        Assert.StartsWith(transport == "rest" ? "HTTP 400" : "gRPC InvalidArgument", refusal["error"]!["status"]!.GetValue<string>());
        Assert.StartsWith("invalid JSON", result.Outputs[3]["error"]!["msg"]!.GetValue<string>());
        Assert.Contains("has 3 values for shape [2,2]", result.Outputs[5]["error"]!["msg"]!.GetValue<string>());
        // The refusal is not retried: a 4xx / InvalidArgument cannot succeed the next time.
        Assert.Equal(0, result.Summary.Retries);
    }

    private static void AssertOrderedV2ErrorsIncluded(BatchResult result, int expectedLines)
    {
        Assert.Equal(expectedLines, result.Outputs.Length);
        for (var k = 0; k < expectedLines; k++)
        {
            Assert.Equal(k, Parameters(result.Outputs[k])["batch_index"]!.GetValue<long>());
            if (result.Outputs[k]["error"] is { } error)
            {
                Assert.False(string.IsNullOrWhiteSpace(error["msg"]!.GetValue<string>()));
                Assert.False(string.IsNullOrWhiteSpace(error["status"]!.GetValue<string>()));
            }
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task An_output_without_the_batch_dimension_is_an_error_record_naming_it(string transport)
    {
        var line = """{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}],"outputs":[{"name":"x"},{"name":"total"}]}""";
        var result = await RunAsync(V2(_fixture.Server, transport).WithBlock(b => b with { DataType = DataType.Raw, BatchSize = 2 }), [line, line, line]);

        AssertOrderedV2ErrorsIncluded(result, 3);
        for (var k = 0; k < 2; k++)
        {
            var msg = result.Outputs[k]["error"]!["msg"]!.GetValue<string>();
            Assert.Contains("output 'total' has shape [1]", msg);
            Assert.Contains("2 rows", msg);
        }

        // Alone in its request, the line needs no splitting: its answer is whole.
        Assert.Null(result.Outputs[2]["error"]);
        Assert.Equal(2, result.Outputs[2]["outputs"]!.AsArray().Count);
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task An_unknown_model_stops_the_run_before_the_first_line(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        var dir = Directory.CreateTempSubdirectory("sbd-v2-unknown-");
        try
        {
            var input = Path.Combine(dir.FullName, "in.txt");
            await File.WriteAllLinesAsync(input, ["[[1]]", "[[2]]"]);
            var options = V2(server, transport).WithEndpoint(e => e with { ModelName = "no-such-model" }) with { InputDataPath = input, OutputDataPath = Path.Combine(dir.FullName, "out.txt") };

            var summary = await BatchRun.RunAsync(options);

            Assert.Equal(RunOutcome.Stopped, summary.Outcome);
            Assert.Contains("no-such-model", summary.StopReason);
            Assert.Contains($"127.0.0.1:{(transport == "grpc" ? server.GrpcPort : server.RestPort)}", summary.StopReason);
            Assert.Equal(0, summary.Instances);
            Assert.False(File.Exists(options.OutputDataPath));
            Assert.Equal(0, server.Statistics.PredictRequests);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Gzip_answers_over_rest_are_decoded()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        var lines = Enumerable.Range(0, 64).Select(i => $"[[{i}, 1000.25, 2000.5, 3000.75, 4000.125, 5000.0625]]").ToArray();
        var result = await RunAsync(V2(server, "rest").WithBlock(b => b with { BatchSize = 32 }), lines);

        AssertOrderedV2(result, 64);
        // Both answers of 32 rows are over MLServer's 500 bytes, so both came compressed.
        Assert.Equal(2, server.Statistics.GzipAnswers);
        AssertFirstData("[126, 2000.5, 4001, 6001.5, 8000.25, 10000.125]", result.Outputs[63]);
    }

    [Theory]
    [InlineData("data", 1)]
    [InlineData("data", 32)]
    [InlineData("raw", 5)]
    [InlineData("str", 32)]
    public async Task Rest_and_grpc_write_the_same_lines_apart_from_ids(string dataType, int batchSize)
    {
        var (lines, _) = Case(dataType, 40);
        var options = new Func<string, BatchOptions>(t => V2(_fixture.Server, t).WithBlock(b => b with { DataType = Enum.Parse<DataType>(dataType, true), BatchSize = batchSize }));
        var rest = await RunAsync(options("rest"), lines);
        var grpc = await RunAsync(options("grpc"), lines);

        Assert.Equal(40, grpc.Outputs.Length);
        for (var k = 0; k < 40; k++)
        {
            Assert.True(JsonNode.DeepEquals(WithoutIds(rest.Outputs[k]), WithoutIds(grpc.Outputs[k])), $"line {k}:\n{rest.Lines[k]}\n{grpc.Lines[k]}");
        }
    }

    private static JsonObject WithoutIds(JsonObject output)
    {
        var copy = output.DeepClone().AsObject();
        copy["parameters"]!.AsObject().Remove("batch_instance_id");
        copy["parameters"]!.AsObject().Remove("inference_id");
        return copy;
    }

    [Theory]
    [InlineData("rest", InferenceProtocol.V2)]
    [InlineData("grpc", InferenceProtocol.V2)]
    [InlineData("rest", InferenceProtocol.Seldon)]
    [InlineData("grpc", InferenceProtocol.Seldon)]
    public async Task Headers_reach_the_server_with_every_request(string transport, InferenceProtocol protocol)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        var options = Options(server, transport).WithEndpoint(e => e with { Protocol = protocol, Headers = [new("seldon-model", "demo-pipeline")] });
        var result = await RunAsync(options, ["[[1, 2]]"]);

        Assert.Equal(1, result.Summary.Succeeded);
        Assert.Equal("demo-pipeline", server.Statistics.LastHeaders["seldon-model"]);
        if (protocol == InferenceProtocol.V2)
        {
            Assert.Equal(Parameters(result.Outputs[0])["inference_id"]!.GetValue<string>(), server.Statistics.LastHeaders["x-request-id"]);
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task A_host_header_routes_as_kserve_ingresses_need(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        var result = await RunAsync(V2(server, transport).WithEndpoint(e => e with { Headers = [new("Host", "demo.models.example.com")] }), ["[[1]]"]);

        Assert.Equal(1, result.Summary.Succeeded);
        Assert.Equal("demo.models.example.com", server.Statistics.LastHeaders["host"]);
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Transient_failures_are_retried_and_the_run_completes(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailFirst = 2, FailStatus = 503 });
        var (lines, _) = Case("data", 6);
        var result = await RunAsync(V2(server, transport).WithBlock(b => b with { Workers = 1, MaxAttempts = 3 }), lines);

        AssertOrderedV2(result, 6);
        Assert.Equal(6, result.Summary.Succeeded);
        Assert.Equal(2, result.Summary.Retries);
    }

    [Fact]
    public async Task The_input_name_and_datatype_can_be_set_over_the_metadata()
    {
        var result = await RunAsync(V2(_fixture.Server, "grpc").WithBlock(b => b with { InputName = "pixels", InputDatatype = "INT32" }), ["[[1, 2, 3]]"]);

        var tensor = result.Outputs[0]["outputs"]![0]!;
        Assert.Equal("pixels", tensor["name"]!.GetValue<string>());
        Assert.Equal("INT32", tensor["datatype"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("[2,4,6]"), tensor["data"]));
    }

    [Fact]
    public async Task A_partial_v2_output_is_resumed_after_its_valid_prefix()
    {
        var dir = Directory.CreateTempSubdirectory("sbd-v2-resume-");
        try
        {
            var input = Path.Combine(dir.FullName, "in.txt");
            var output = Path.Combine(dir.FullName, "out.txt");
            var (lines, expected) = Case("data", 10);
            await File.WriteAllLinesAsync(input, lines);
            var options = V2(_fixture.Server, "rest") with { InputDataPath = input, OutputDataPath = output };
            Assert.Equal(RunOutcome.Completed, (await BatchRun.RunAsync(options)).Outcome);
            // An interrupted run: the first four lines, then half a line.
            var full = await File.ReadAllLinesAsync(output);
            await File.WriteAllTextAsync(output + ".partial", string.Join("\n", full.Take(4)) + "\n" + full[4][..20]);
            File.Delete(output);

            var resumed = await BatchRun.RunAsync(options with { Resume = true });

            Assert.Equal(RunOutcome.Completed, resumed.Outcome);
            Assert.Equal(4, resumed.ResumedLines);
            var outputs = (await File.ReadAllLinesAsync(output)).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
            Assert.Equal(10, outputs.Length);
            for (var i = 0; i < 10; i++)
            {
                Assert.Equal(i, Parameters(outputs[i])["batch_index"]!.GetValue<long>());
                AssertFirstData(expected(i), outputs[i]);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
