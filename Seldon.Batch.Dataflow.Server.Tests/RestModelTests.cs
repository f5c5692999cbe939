using System.Net;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>The demo model's answers over REST.</summary>
[Trait("Category", "Integration")]
public sealed class RestModelTests(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>
{
    private const string Predictions = "/api/v1.0/predictions";
    private const string Feedback = "/api/v1.0/feedback";

    private const string BatchTags =
        """{"batch_id":"run-1","batch_index":0,"batch_instance_id":"inst-0","weight":2.5,"nested":{"n":[1,"x",true]}}""";

    [Fact]
    public async Task Ndarray_numbers_are_doubled_with_names_and_tags_as_floats()
    {
        RestExchange answer = await PostAsync(Predictions,
            $$$"""{"data":{"names":["a","b","c"],"ndarray":[[1,2,3],[4.5,-1,0]]},"meta":{"puid":"p-1","tags":{{{BatchTags}}}}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("application/json", answer.ContentType);
        JsonNode json = answer.Json;
        Assert.Equal(["t:0", "t:1", "t:2"], Strings(json["data"]!["names"]!));
        // One numpy array: a float among the numbers makes them all floats, written as Python writes them.
        Assert.Contains("\"ndarray\":[[2.0,4.0,6.0],[9.0,-2.0,0.0]]", answer.Body);
        Assert.Equal("p-1", (string?)json["meta"]!["puid"]);
        Assert.Contains("\"batch_index\":0.0", answer.Body);
        Assert.Contains("\"weight\":2.5", answer.Body);
        Assert.Contains("\"nested\":{\"n\":[1.0,\"x\",true]}", answer.Body);
        Assert.Equal("run-1", (string?)json["meta"]!["tags"]!["batch_id"]);
        Assert.Equal("inst-0", (string?)json["meta"]!["tags"]!["batch_instance_id"]);
        Assert.Equal("demo", (string?)json["meta"]!["tags"]!["model"]);
    }

    [Fact]
    public async Task Ndarray_of_scalars_has_one_name_and_the_model_tag_wins()
    {
        RestExchange answer = await PostAsync(Predictions, """{"data":{"ndarray":[1,2]},"meta":{"tags":{"model":"mine"}}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("""{"data":{"names":["t:0"],"ndarray":[2,4]},"meta":{"tags":{"model":"demo"}}}""", answer.Body);
    }

    [Fact]
    public async Task Tensor_values_are_doubled_in_the_same_shape()
    {
        RestExchange answer = await PostAsync(Predictions,
            """{"data":{"tensor":{"shape":[2,2],"values":[1,2,3,0.25]}},"meta":{"tags":{"batch_index":7}}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        JsonNode data = answer.Json["data"]!;
        Assert.Equal(["t:0", "t:1"], Strings(data["names"]!));
        Assert.Equal("[2,2]", data["tensor"]!["shape"]!.ToJsonString());
        Assert.Equal([2.0, 4.0, 6.0, 0.5], Doubles(data["tensor"]!["values"]!));
        Assert.Contains("\"batch_index\":7.0", answer.Body);
    }

    [Fact]
    public async Task Tftensor_doubles_are_doubled_with_dtype_and_shape_kept()
    {
        RestExchange answer = await PostAsync(Predictions,
            """{"data":{"tftensor":{"dtype":"DT_DOUBLE","tensorShape":{"dim":[{"size":"1"},{"size":"3"}]},"doubleVal":[1,2.5,-3]}}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        JsonNode data = answer.Json["data"]!;
        Assert.Equal(["t:0", "t:1", "t:2"], Strings(data["names"]!));
        JsonNode tensor = data["tftensor"]!;
        Assert.Equal("DT_DOUBLE", (string?)tensor["dtype"]);
        Assert.Equal("""{"dim":[{"size":"1"},{"size":"3"}]}""", tensor["tensorShape"]!.ToJsonString());
        Assert.Equal([2.0, 5.0, -6.0], Doubles(tensor["doubleVal"]!));
    }

    [Fact]
    public async Task Tftensor_int64_values_stay_int64_strings()
    {
        RestExchange answer = await PostAsync(Predictions,
            """{"data":{"tftensor":{"dtype":"DT_INT64","tensorShape":{"dim":[{"size":"3"}]},"int64Val":["1","-2",4503599627370497]}}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        JsonNode tensor = answer.Json["data"]!["tftensor"]!;
        Assert.Equal("DT_INT64", (string?)tensor["dtype"]);
        Assert.Equal(["2", "-4", "9007199254740994"], Strings(tensor["int64Val"]!));
    }

    [Fact]
    public async Task JsonData_is_wrapped_with_the_model_name()
    {
        RestExchange answer = await PostAsync(Predictions, """{"jsonData":{"x":[1,2],"y":"z"},"meta":{"tags":{"k":1}}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("""{"jsonData":{"model":"demo","input":{"x":[1,2],"y":"z"}},"meta":{"tags":{"k":1.0,"model":"demo"}}}""", answer.Body);
    }

    [Fact]
    public async Task StrData_is_upper_cased()
    {
        RestExchange answer = await PostAsync(Predictions, """{"strData":"hello, Seldon"}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("HELLO, SELDON", (string?)answer.Json["strData"]);
        Assert.Equal("demo", (string?)answer.Json["meta"]!["tags"]!["model"]);
    }

    [Fact]
    public async Task BinData_is_echoed()
    {
        RestExchange answer = await PostAsync(Predictions, """{"binData":"AAEC/w=="}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("AAEC/w==", (string?)answer.Json["binData"]);
    }

    [Fact]
    public async Task Feedback_answers_the_request_tags_the_model_and_the_reward()
    {
        long before = fixture.Server.Statistics.FeedbackRequests;

        RestExchange answer = await PostAsync(Feedback,
            """{"request":{"data":{"ndarray":[[1]]},"meta":{"tags":{"batch_index":3,"user":"u"}}},"response":{"data":{"ndarray":[[2]]}},"reward":1}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(
            """{"data":{"names":[],"ndarray":[]},"meta":{"tags":{"batch_index":3.0,"user":"u","model":"demo","reward":1.0}}}""",
            answer.Body);
        Assert.Equal(before + 1, fixture.Server.Statistics.FeedbackRequests);
    }

    [Fact]
    public async Task Feedback_without_reward_reports_zero()
    {
        RestExchange answer = await PostAsync(Feedback, "{}");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Contains("\"reward\":0.0", answer.Body);
    }

    [Fact]
    public async Task Non_numeric_data_is_a_model_error_500()
    {
        long badBefore = fixture.Server.Statistics.BadRequests;

        RestExchange answer = await PostAsync(Predictions, """{"data":{"ndarray":[[1,"two",3]]}}""");

        Assert.Equal(HttpStatusCode.InternalServerError, answer.Status);
        Assert.Equal("application/json", answer.ContentType);
        JsonNode status = answer.Json["status"]!;
        Assert.Equal(-1, (int)status["code"]!);
        Assert.Equal("MICROSERVICE_INTERNAL_ERROR", (string?)status["reason"]);
        Assert.Equal(1, (int)status["status"]!);
        Assert.Contains("ndarray[0][1] is a string", (string?)status["info"]);
        Assert.Equal(badBefore, fixture.Server.Statistics.BadRequests);
    }

    [Theory]
    [InlineData("not json", "not valid JSON")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("""{"data":{"ndarray":[[1]]},"extra":1}""", "unknown field 'extra'")]
    [InlineData("""{"meta":{"tags":{}}}""", "has no data")]
    [InlineData("""{"data":{"ndarray":{"a":1}}}""", "data.ndarray must be an array")]
    [InlineData("""{"data":{}}""", "no payload")]
    [InlineData("""{"data":{"tensor":{"shape":[2,2],"values":[1,2,3]}}}""", "has 3 values but its shape")]
    [InlineData("""{"strData":"a","jsonData":1}""", "sets both strData and jsonData")]
    [InlineData("""{"data":{"ndarray":[1]},"meta":{"tags":[]}}""", "meta.tags must be an object")]
    public async Task Invalid_messages_are_bad_data_400_and_counted(string body, string expected)
    {
        long before = fixture.Server.Statistics.BadRequests;

        RestExchange answer = await PostAsync(Predictions, body);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        JsonNode status = answer.Json["status"]!;
        Assert.Equal("MICROSERVICE_BAD_DATA", (string?)status["reason"]);
        Assert.Equal(-1, (int)status["code"]!);
        Assert.Equal(1, (int)status["status"]!);
        Assert.Contains(expected, (string?)status["info"]);
        Assert.Equal(before + 1, fixture.Server.Statistics.BadRequests);
    }

    [Theory]
    [InlineData("/seldon/default/my-model/api/v1.0/predictions")]
    [InlineData("/seldon/other-namespace/x/api/v1.0/predictions")]
    [InlineData("/api/v1.0/predictions")]
    public async Task Every_gateway_path_predicts(string path)
    {
        long before = fixture.Server.Statistics.PredictRequests;

        RestExchange answer = await PostAsync(path, """{"data":{"ndarray":[[21]]}}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("[[42]]", answer.Json["data"]!["ndarray"]!.ToJsonString());
        Assert.Equal(before + 1, fixture.Server.Statistics.PredictRequests);
    }

    [Theory]
    [InlineData("/seldon/default/my-model/api/v1.0/feedback")]
    [InlineData("/api/v1.0/feedback")]
    public async Task Every_gateway_path_takes_feedback(string path)
    {
        long before = fixture.Server.Statistics.FeedbackRequests;

        RestExchange answer = await PostAsync(path, """{"reward":0.5}""");

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Contains("\"reward\":0.5", answer.Body);
        Assert.Equal(before + 1, fixture.Server.Statistics.FeedbackRequests);
    }

    [Fact]
    public async Task Health_ping_answers_pong()
    {
        string body = await fixture.Http.GetStringAsync("/health/ping");

        Assert.Equal("pong", body);
    }

    [Fact]
    public async Task Unknown_paths_are_not_found()
    {
        RestExchange answer = await PostAsync("/api/v2/predictions", """{"data":{"ndarray":[[1]]}}""");

        Assert.Equal(HttpStatusCode.NotFound, answer.Status);
    }

    private Task<RestExchange> PostAsync(string path, string json) => RestExchange.PostAsync(fixture.Http, path, json);

    private static string[] Strings(JsonNode array) => array.AsArray().Select(item => (string)item!).ToArray();

    private static double[] Doubles(JsonNode array) => array.AsArray().Select(item => (double)item!).ToArray();
}
