using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>Every data type, payload type and batch size through the built-in server over real sockets,
/// once per transport: the same cases, the same expectations.</summary>
[Trait("Category", "Integration")]
public sealed class TransportMatrixTests : IClassFixture<DemoServerFixture>
{
    private readonly DemoServerFixture _fixture;

    public TransportMatrixTests(DemoServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    public static TheoryData<string, int> TransportsAndBatchSizes => new()
    {
        { "rest", 1 }, { "rest", 4 }, { "grpc", 1 }, { "grpc", 4 },
    };

    private static double[] Numbers(string json) => Numbers(JsonNode.Parse(json)!);

    private static double[] Numbers(JsonNode array) => array.AsArray().Select(v => v!.GetValue<double>()).ToArray();

    private static string[] NumberLines(int count) =>
        Enumerable.Range(0, count).Select(i => $"[[{i}, {i + 1}, {i + 2}]]").ToArray();

    [Theory]
    [MemberData(nameof(TransportsAndBatchSizes))]
    public async Task Ndarray_lines_come_back_doubled_in_order_with_batch_tags(string transport, int batchSize)
    {
        var input = NumberLines(10);
        var result = await RunAsync(Options(_fixture.Server, transport).WithBlock(b => b with { BatchSize = batchSize }), input);

        AssertOrdered(result, 10);
        Assert.Equal(10, result.Summary.Succeeded);
        Assert.Equal(batchSize == 1 ? 10 : 3, result.Summary.Requests); // 4 + 4 + a short last batch of 2
        for (var i = 0; i < 10; i++)
        {
            var data = result.Outputs[i]["data"]!;
            // Integers in, integers out over REST (the model's numpy array is of ints); gRPC carries only doubles, and
            // writes them as REST writes floats (docs/formats.md, "Numbers").
            Assert.Equal(
                transport == "rest" ? $"[[{2 * i},{2 * i + 2},{2 * i + 4}]]" : $"[[{2 * i}.0,{2 * i + 2}.0,{2 * i + 4}.0]]",
                data["ndarray"]!.ToJsonString());
            Assert.Equal("[\"t:0\",\"t:1\",\"t:2\"]", data["names"]!.ToJsonString());
            Assert.Equal("demo", Tags(result.Outputs[i])["model"]!.GetValue<string>());
        }
    }

    [Theory]
    [MemberData(nameof(TransportsAndBatchSizes))]
    public async Task Tensor_lines_are_sent_as_tensors_and_split_back(string transport, int batchSize)
    {
        var input = new[] { "[[1, 2]]", "[[3.5, 4]]", "[[5, 6]]", "[[7, 8]]", "[[9, 10]]" };
        var result = await RunAsync(Options(_fixture.Server, transport).WithBlock(b => b with { PayloadType = PayloadType.Tensor, BatchSize = batchSize }), input);

        AssertOrdered(result, 5);
        var expected = new[] { "[2,4]", "[7,8]", "[10,12]", "[14,16]", "[18,20]" };
        for (var i = 0; i < 5; i++)
        {
            var tensor = result.Outputs[i]["data"]!["tensor"]!;
            Assert.Equal("[1,2]", tensor["shape"]!.ToJsonString());
            Assert.Equal(Numbers(expected[i]), Numbers(tensor["values"]!));
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Tftensor_lines_keep_their_dtype(string transport)
    {
        var result = await RunAsync(Options(_fixture.Server, transport).WithBlock(b => b with { PayloadType = PayloadType.Tftensor }), ["[[1, 2, 3]]", "[[0.5, 1.5]]"]);

        AssertOrdered(result, 2);
        var ints = result.Outputs[0]["data"]!["tftensor"]!;
        Assert.Equal("DT_INT64", ints["dtype"]!.GetValue<string>());
        Assert.Equal("[\"2\",\"4\",\"6\"]", ints["int64Val"]!.ToJsonString());
        var doubles = result.Outputs[1]["data"]!["tftensor"]!;
        Assert.Equal("DT_DOUBLE", doubles["dtype"]!.GetValue<string>());
        Assert.Equal([1.0, 3.0], Numbers(doubles["doubleVal"]!));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Json_lines_are_sent_as_jsonData(string transport)
    {
        var result = await RunAsync(Options(_fixture.Server, transport).WithBlock(b => b with { DataType = DataType.Json }),
            ["{\"customer\": 7, \"plan\": \"pro\"}", "[1, \"two\"]", "\"text\""]);

        AssertOrdered(result, 3);
        Assert.Equal("{\"customer\":7,\"plan\":\"pro\"}", result.Outputs[0]["jsonData"]!["input"]!.ToJsonString());
        Assert.Equal("[1,\"two\"]", result.Outputs[1]["jsonData"]!["input"]!.ToJsonString());
        Assert.Equal("\"text\"", result.Outputs[2]["jsonData"]!["input"]!.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Str_lines_are_sent_as_strData(string transport)
    {
        var result = await RunAsync(Options(_fixture.Server, transport).WithBlock(b => b with { DataType = DataType.Str }),
            ["\"quoted text\"", "bare text", "\"ünïcödé\""]);

        AssertOrdered(result, 3);
        Assert.Equal(["QUOTED TEXT", "BARE TEXT", "ÜNÏCÖDÉ"], result.Outputs.Select(o => o["strData"]!.GetValue<string>()));
        Assert.Contains("ÜNÏCÖDÉ", result.Lines[2]); // written as UTF-8, not \u escapes
    }

    [Theory]
    [MemberData(nameof(TransportsAndBatchSizes))]
    public async Task Raw_lines_keep_the_users_tags_and_the_model_wins_a_clash(string transport, int batchSize)
    {
        var input = Enumerable.Range(0, 6).Select(i =>
            $"{{\"data\": {{\"names\": [\"a\", \"b\"], \"ndarray\": [[{i}, {i}]]}}, \"meta\": {{\"tags\": {{\"customer-id\": {i}, \"model\": \"mine\"}}}}}}");
        var result = await RunAsync(Options(_fixture.Server, transport).WithBlock(b => b with { DataType = DataType.Raw, BatchSize = batchSize }), input);

        AssertOrdered(result, 6);
        for (var i = 0; i < 6; i++)
        {
            var tags = Tags(result.Outputs[i]);
            Assert.Equal(i, tags["customer-id"]!.GetValue<double>());
            Assert.Equal("demo", tags["model"]!.GetValue<string>());
            Assert.Equal(transport == "rest" ? $"[[{2 * i},{2 * i}]]" : $"[[{2 * i}.0,{2 * i}.0]]", result.Outputs[i]["data"]!["ndarray"]!.ToJsonString());
        }

        Assert.Equal(batchSize == 1 ? 6 : 2, result.Summary.Requests);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Feedback_goes_to_the_feedback_endpoint(string transport)
    {
        var before = _fixture.Server.Statistics.FeedbackRequests;
        var input = new[]
        {
            "{\"request\": {\"data\": {\"ndarray\": [[1, 2]]}}, \"response\": {\"data\": {\"ndarray\": [[2, 4]]}}, \"reward\": 1.0}",
            "{\"reward\": 0.5}",
        };
        var result = await RunAsync(Options(_fixture.Server, transport).WithBlock(b => b with { DataType = DataType.Raw, Method = PredictionMethod.Feedback }), input);

        AssertOrdered(result, 2);
        Assert.Equal(2, result.Summary.Succeeded);
        Assert.Equal(before + 2, _fixture.Server.Statistics.FeedbackRequests);
        Assert.Equal(0.5, Tags(result.Outputs[1])["reward"]!.GetValue<double>());
    }

    [Theory]
    [MemberData(nameof(TransportsAndBatchSizes))]
    public async Task A_bad_line_fails_alone_and_the_rest_of_its_batch_is_sent(string transport, int batchSize)
    {
        var input = new[] { "[[1, 2]]", "{not json", "", "[[5, 6, 7]]", "[[3, 4]]", "[[8, 9]]" };
        var result = await RunAsync(Options(_fixture.Server, transport).WithBlock(b => b with { BatchSize = batchSize, PayloadType = PayloadType.Tensor }), input);

        AssertOrdered(result, 6);
        Assert.False(IsError(result.Outputs[0]));
        Assert.StartsWith("invalid JSON", Reason(result.Outputs[1]));
        Assert.StartsWith("blank line", Reason(result.Outputs[2]));
        // In a micro-batch a row of another shape than the lines before it starts a request of its own: the model judges it.
        Assert.False(IsError(result.Outputs[3]));
        Assert.Equal([10.0, 12.0, 14.0], Numbers(result.Outputs[3]["data"]!["tensor"]!["values"]!));
        Assert.Equal([6.0, 8.0], Numbers(result.Outputs[4]["data"]!["tensor"]!["values"]!));
        Assert.Equal([16.0, 18.0], Numbers(result.Outputs[5]["data"]!["tensor"]!["values"]!));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_model_error_becomes_an_error_record_with_the_models_reason(string transport)
    {
        var result = await RunAsync(Options(_fixture.Server, transport).WithBlock(b => b with { MaxAttempts = 1 }), ["[[1, 2]]", "[[\"a\", \"b\"]]", "[[3, 4]]"]);

        AssertOrdered(result, 3);
        Assert.True(IsError(result.Outputs[1]));
        Assert.Equal(transport == "grpc" ? 13 : 500, result.Outputs[1]["status"]!["code"]!.GetValue<int>());
        Assert.Contains(transport == "grpc" ? "Internal" : "MICROSERVICE_INTERNAL_ERROR", Reason(result.Outputs[1]));
        Assert.Equal(2, result.Summary.Succeeded);
        Assert.Equal(1, result.Summary.Failed);
    }

    [Fact]
    public async Task Rest_and_grpc_outputs_are_identical_apart_from_instance_ids()
    {
        // Floats: what the model answers is then the same on both transports (integers are not: see the first test).
        var input = Enumerable.Range(0, 12).Select(i => $"[[{i}.5, {i + 1}.25, 0.5]]").Concat(["oops", "[[\"x\"]]"]).ToArray();
        var rest = await RunAsync(Options(_fixture.Server, "rest").WithBlock(b => b with { BatchSize = 5, MaxAttempts = 1 }), input);
        var grpc = await RunAsync(Options(_fixture.Server, "grpc").WithBlock(b => b with { BatchSize = 5, MaxAttempts = 1 }), input);

        static string WithoutIds(JsonObject o)
        {
            var copy = o.DeepClone().AsObject();
            copy["meta"]!["tags"]!.AsObject().Remove("batch_instance_id");
            if (copy["status"] is JsonObject status)
            {
                status.Remove("reason");
                status.Remove("code");
            }

            return copy.ToJsonString();
        }

        Assert.Equal(rest.Outputs.Select(WithoutIds), grpc.Outputs.Select(WithoutIds));
        Assert.Equal(14, rest.Outputs.Length);
    }
}
