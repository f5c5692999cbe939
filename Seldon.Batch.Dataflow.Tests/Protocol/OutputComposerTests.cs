using System.Text.Json;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

public sealed class OutputComposerTests
{
    private const string BatchId = "run-1";

    private readonly OutputComposer _composer = new(BatchId);

    private static BatchMember Sent(long index, int rows = 1, string? userTags = null) =>
        new(index, $"i{index}") { Rows = rows, UserTags = userTags is null ? null : JsonNode.Parse(userTags)!.AsObject() };

    private static BatchMember Unsent(long index, string error) => new(index, $"i{index}") { EncodingError = error };

    private static EncodedBatch Single(BatchMember member) => new([member], "{}", member.InstanceId);

    private static EncodedBatch Split(params BatchMember[] members) => new(members, "{}", "req") { IsSplit = true };

    private static JsonObject Parse(InstanceResult result) => JsonNode.Parse(result.Line)!.AsObject();

    private static string[] Keys(JsonNode? node) => node!.AsObject().Select(p => p.Key).ToArray();

    private static void AssertBatchTags(JsonNode? tags, long index, string instanceId)
    {
        Assert.NotNull(tags);
        Assert.Equal(BatchId, tags["batch_id"]!.GetValue<string>());
        Assert.Equal(index.ToString(System.Globalization.CultureInfo.InvariantCulture), tags["batch_index"]!.ToJsonString());
        Assert.Equal(instanceId, tags["batch_instance_id"]!.GetValue<string>());
    }

    private static void AssertErrorRecord(InstanceResult result, long index, int code, string? reasonContains = null)
    {
        Assert.Equal(index, result.Index);
        Assert.False(result.Succeeded);
        Assert.False(string.IsNullOrWhiteSpace(result.Failure?.Reason));
        var line = Parse(result);
        Assert.Equal(["status", "meta"], Keys(line));
        var status = line["status"]!;
        Assert.Equal(["code", "info", "reason", "status"], Keys(status));
        Assert.Equal(code, status["code"]!.GetValue<int>());
        Assert.Equal("FAILURE", status["info"]!.GetValue<string>());
        Assert.Equal("1", status["status"]!.ToJsonString());
        var reason = status["reason"]!.GetValue<string>();
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.Equal(result.Failure!.Reason, reason);
        Assert.Equal(code, result.Failure.Status);
        Assert.Equal(index, result.Failure.Index);
        Assert.True(result.Prediction.IsEmpty);
        if (reasonContains is not null)
        {
            Assert.Contains(reasonContains, reason);
        }

        Assert.Equal(["tags"], Keys(line["meta"]));
        AssertBatchTags(line["meta"]!["tags"], index, $"i{index}");
    }

    [Fact]
    public void Single_answer_merges_user_then_model_then_batch_tags()
    {
        var member = Sent(5, userTags: """{"u":"user","shared":"from-user","batch_id":"user-bid","batch_index":99}""");
        const string answer = """{"data":{"names":["t:0"],"ndarray":[[0.9]]},"meta":{"puid":"p1","tags":{"shared":"from-model","m":"model","batch_index":0.0,"batch_id":"model-bid","batch_instance_id":"x"},"routing":{"r":1}},"status":{"code":200,"status":"SUCCESS"}}""";

        var result = Assert.Single(_composer.Compose(Single(member), answer, null));

        Assert.True(result.Succeeded);
        Assert.Null(result.Failure);
        Assert.Equal(5, result.Index);
        var line = Parse(result);
        Assert.Equal("""{"names":["t:0"],"ndarray":[[0.9]]}""", line["data"]!.ToJsonString());
        Assert.Equal("""{"code":200,"status":"SUCCESS"}""", line["status"]!.ToJsonString());
        Assert.Equal("p1", line["meta"]!["puid"]!.GetValue<string>());
        Assert.Equal("""{"r":1}""", line["meta"]!["routing"]!.ToJsonString());
        var tags = line["meta"]!["tags"]!;
        Assert.Equal("user", tags["u"]!.GetValue<string>());
        Assert.Equal("from-model", tags["shared"]!.GetValue<string>());
        Assert.Equal("model", tags["m"]!.GetValue<string>());
        Assert.Equal(6, Keys(tags).Length);
        AssertBatchTags(tags, 5, "i5");
        Assert.Contains("\"batch_index\":5", result.Line);
        Assert.DoesNotContain("5.0", result.Line);
    }

    [Fact]
    public void Batch_index_echoed_as_float_is_written_as_integer()
    {
        const string answer = """{"data":{"ndarray":[[1]]},"meta":{"tags":{"batch_id":"run-1","batch_index":0.0,"batch_instance_id":"i0"}}}""";

        var result = Assert.Single(_composer.Compose(Single(Sent(0)), answer, null));

        Assert.Equal(
            """{"meta":{"tags":{"batch_id":"run-1","batch_index":0,"batch_instance_id":"i0"}},"data":{"ndarray":[[1]]}}""",
            result.Line);
    }

    [Fact]
    public void Answer_without_meta_gets_meta_with_tags()
    {
        var member = Sent(3, userTags: """{"k":"v"}""");

        var result = Assert.Single(_composer.Compose(Single(member), """{"jsonData":{"x":1}}""", null));

        Assert.Equal(
            """{"meta":{"tags":{"k":"v","batch_id":"run-1","batch_index":3,"batch_instance_id":"i3"}},"jsonData":{"x":1}}""",
            result.Line);
    }

    [Fact]
    public void Answer_with_null_meta_gets_a_single_meta()
    {
        var result = Assert.Single(_composer.Compose(Single(Sent(1)), """{"data":{"ndarray":[[1]]},"meta":null}""", null));

        using var document = JsonDocument.Parse(result.Line);
        Assert.Equal(1, document.RootElement.EnumerateObject().Count(p => p.Name == "meta"));
        AssertBatchTags(Parse(result)["meta"]!["tags"], 1, "i1");
    }

    [Fact]
    public void Micro_batch_ndarray_answer_is_split_by_member_rows()
    {
        var batch = Split(Sent(10), Sent(11, rows: 2), Unsent(12, "invalid JSON: oops"), Sent(13));
        const string answer = """{"data":{"names":["t:0"],"ndarray":[[1],[2],[3],[4]]},"meta":{"puid":"req","tags":{"m":1}}}""";

        var results = _composer.Compose(batch, answer, null);

        Assert.Equal([10L, 11L, 12L, 13L], results.Select(r => r.Index).ToArray());
        Assert.Equal("""{"names":["t:0"],"ndarray":[[1]]}""", Parse(results[0])["data"]!.ToJsonString());
        Assert.Equal("""{"names":["t:0"],"ndarray":[[2],[3]]}""", Parse(results[1])["data"]!.ToJsonString());
        AssertErrorRecord(results[2], 12, OutputComposer.UnsentCode, "invalid JSON: oops");
        Assert.Equal("""{"names":["t:0"],"ndarray":[[4]]}""", Parse(results[3])["data"]!.ToJsonString());
        foreach (var (result, index) in new[] { (results[0], 10L), (results[1], 11L), (results[3], 13L) })
        {
            Assert.True(result.Succeeded);
            var line = Parse(result);
            Assert.Equal("req", line["meta"]!["puid"]!.GetValue<string>());
            Assert.Equal("1", line["meta"]!["tags"]!["m"]!.ToJsonString());
            AssertBatchTags(line["meta"]!["tags"], index, $"i{index}");
        }
    }

    [Theory]
    [InlineData("""{"data":{"names":["t:0"],"ndarray":[%ROWS%]},"meta":{"puid":"p","tags":{"model":"demo"}}}""")]
    [InlineData("""{"zz":{"a":[1,2]},"data":{"ndarray":[%ROWS%],"names":["caf\u00e9","\u2028"," q\"\\ "]},"meta":{"routing":{"r":1},"tags":{"m":"\u00e9\ud83d\ude00<&>","batch_index":99,"n":null}},"strData":"s\/\u0001","status":{"code":200}}""")]
    public void Lines_of_a_shared_answer_are_written_as_a_one_line_answer_would_be(string template)
    {
        // A split answer writes what its lines share once and copies it into each line: the bytes must be those the
        // line writer makes from the document, escapes and order included.
        var batch = Split(Sent(0), Sent(1, userTags: """{"u":"\u00e9","m":"user"}"""), Sent(2));
        var split = _composer.Compose(batch, template.Replace("%ROWS%", "[1],[2.50],[\"x\\u00e9\"]"), null);

        string[] rows = ["[1]", "[2.50]", "[\"x\\u00e9\"]"];
        for (var i = 0; i < rows.Length; i++)
        {
            var alone = _composer.Compose(Single(batch.Members[i]), template.Replace("%ROWS%", rows[i]), null);
            Assert.True(split[i].Succeeded, split[i].Failure?.Reason);
            Assert.Equal(Assert.Single(alone).Line, split[i].Line);
        }
    }

    [Theory]
    [InlineData("[1,2]", "[3, 4]", "[5,\"a\"]")]
    [InlineData("[1E+2,-0.0,true,null]", "[ [1] ]", "7")]
    [InlineData("[\n1]", "[[1,2],[3]]", "[\"\\u00e9\"]")]
    public void Rows_copied_as_written_and_rows_written_again_give_the_bytes_of_a_one_line_answer(string first, string second, string third)
    {
        // Compact rows of numbers are copied from the answer as they are; rows with whitespace or strings are written
        // from the document: either way a line holds what the one-line answer of its row would.
        var batch = Split(Sent(0), Sent(1), Sent(2));
        string[] rows = [first, second, third];
        var split = _composer.Compose(batch, "{\"data\":{\"ndarray\":[" + string.Join(',', rows) + "]}}", null);

        for (var i = 0; i < rows.Length; i++)
        {
            var alone = _composer.Compose(Single(batch.Members[i]), "{\"data\":{\"ndarray\":[" + rows[i] + "]}}", null);
            Assert.True(split[i].Succeeded, split[i].Failure?.Reason);
            Assert.Equal(Assert.Single(alone).Line, split[i].Line);
        }
    }

    [Theory]
    [InlineData("""{"data":{"names":["t:0"],"ndarray":[%ROWS%]},"meta":{"tags":{"model":"nginx"}}}""")]
    [InlineData("""{"status":{"code":200,"info":"\u00e9\"x"},"data":{"ndarray":[%ROWS%],"names":["a\u2028"]},"meta":{"puid":"p\u00e9","tags":{"batch_instance_id":"m","z":[1,"\ud83d\ude00"],"batch_index":7}},"other":{"k":"<&>"}}""")]
    [InlineData("""{"meta":{"tags":{"batch_id":"theirs"}},"data":{"ndarray":[%ROWS%]},"binData":"AAE="}""")]
    [InlineData("""{"data":{"ndarray":[%ROWS%]},"meta":null}""")]
    public void Lines_filled_into_the_answers_template_are_those_the_line_writer_writes(string answer)
    {
        // Lines without user tags, with a plain instance id and with rows copied as written are the answer's template
        // with their index, id and rows put in; the others are written by the line writer: each must hold what the
        // one-line answer of its rows would, whichever way it was made.
        BatchMember[] members =
        [
            new(0, "de26437e-cf11-4cf3-a8ee-00754950a95c-item-0") { Rows = 1 },
            new(1234567890123, "r", 1) { Rows = 2 },
            new(5, "id \"quoted\" \u00e9") { Rows = 1 },
            new(6, new string('a', 65)) { Rows = 1 },
            new(7, "r-item-4") { Rows = 1, UserTags = JsonNode.Parse("""{"u":"\u00e9","batch_index":"user"}""")!.AsObject() },
            new(8, "r-item-5") { EncodingError = "invalid JSON: x" },
            new(9, "r-item-6") { Rows = 1 },
            new(10, "r-item-7") { Rows = 3 },
            new(11, "de26437e-cf11-4cf3-a8ee-00754950a95c", 8) { Rows = 1 },
            new(12, "r \u00e9\"", 9) { Rows = 1 },
        ];
        string[] rows = ["[1]", "[2,3.50],[-1E+2]", "[4]", "[5]", "[6]", "[\"s\"]", "[[7,8]],[9],[0]", "[10]", "[11]"];
        var batch = new EncodedBatch(members, "{}", "r") { IsSplit = true };
        var split = _composer.Compose(batch, answer.Replace("%ROWS%", string.Join(',', rows)), null);

        var sent = 0;
        for (var i = 0; i < members.Length; i++)
        {
            if (!members[i].IsSent)
            {
                Assert.Equal(_composer.ErrorRecord(members[i], new RequestFailure(LineFailureKind.InvalidLine, OutputComposer.UnsentCode, "invalid JSON: x")), split[i]);
                continue;
            }

            var alone = _composer.Compose(Single(members[i]), answer.Replace("%ROWS%", rows[sent++]), null);
            Assert.True(split[i].Succeeded, split[i].Failure?.Reason);
            Assert.Equal(members[i].Index, split[i].Index);
            Assert.Equal(Assert.Single(alone).Line, split[i].Line);
        }
    }

    [Fact]
    public void Instance_id_of_a_merged_requests_line_is_the_request_id_and_its_item()
    {
        Assert.Equal("req-7-item-12", new BatchMember(3, "req-7", 12).InstanceId);
        Assert.Equal("req-7", new BatchMember(3, "req-7").InstanceId);
    }

    [Fact]
    public void Micro_batch_answer_carries_each_members_user_tags_under_the_model_tags()
    {
        var batch = Split(Sent(0, userTags: """{"u":"a","m":"user"}"""), Sent(1, userTags: """{"u":"b"}"""));
        const string answer = """{"data":{"ndarray":[[1],[2]]},"meta":{"tags":{"m":"model"}}}""";

        var results = _composer.Compose(batch, answer, null);

        var first = Parse(results[0])["meta"]!["tags"]!;
        var second = Parse(results[1])["meta"]!["tags"]!;
        Assert.Equal("a", first["u"]!.GetValue<string>());
        Assert.Equal("model", first["m"]!.GetValue<string>());
        Assert.Equal("b", second["u"]!.GetValue<string>());
        Assert.Equal("model", second["m"]!.GetValue<string>());
        AssertBatchTags(second, 1, "i1");
    }

    [Fact]
    public void Micro_batch_tensor_answer_is_split_by_member_rows()
    {
        var batch = Split(Sent(0), Sent(1, rows: 2));
        const string answer = """{"data":{"names":["a","b"],"tensor":{"shape":[3,2],"values":[1,2,3,4,5.5,6]}}}""";

        var results = _composer.Compose(batch, answer, null);

        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal("""{"names":["a","b"],"tensor":{"shape":[1,2],"values":[1,2]}}""", Parse(results[0])["data"]!.ToJsonString());
        Assert.Equal("""{"names":["a","b"],"tensor":{"shape":[2,2],"values":[3,4,5.5,6]}}""", Parse(results[1])["data"]!.ToJsonString());
        AssertBatchTags(Parse(results[1])["meta"]!["tags"], 1, "i1");
    }

    [Fact]
    public void Micro_batch_tensor_answer_of_three_dimensions_is_split()
    {
        var batch = Split(Sent(0), Sent(1));
        const string answer = """{"data":{"tensor":{"shape":[2,1,2],"values":[1,2,3,4]}}}""";

        var results = _composer.Compose(batch, answer, null);

        Assert.Equal("""{"tensor":{"shape":[1,1,2],"values":[1,2]}}""", Parse(results[0])["data"]!.ToJsonString());
        Assert.Equal("""{"tensor":{"shape":[1,1,2],"values":[3,4]}}""", Parse(results[1])["data"]!.ToJsonString());
    }

    [Fact]
    public void Ndarray_row_count_mismatch_makes_every_sent_member_an_error_record()
    {
        var batch = Split(Sent(0), Sent(1, rows: 2), Unsent(2, "blank line: there is no instance to send"), Sent(3));

        var results = _composer.Compose(batch, """{"data":{"ndarray":[[1],[2],[3]]}}""", null);

        Assert.Equal(4, results.Length);
        foreach (var i in new[] { 0, 1, 3 })
        {
            AssertErrorRecord(results[i], i, 502);
            Assert.Contains("3", results[i].Failure!.Reason);
            Assert.Contains("4", results[i].Failure!.Reason);
        }

        AssertErrorRecord(results[2], 2, OutputComposer.UnsentCode, "blank line");
    }

    [Fact]
    public void Tensor_row_count_mismatch_makes_every_sent_member_an_error_record()
    {
        var batch = Split(Sent(0), Sent(1));

        var results = _composer.Compose(batch, """{"data":{"tensor":{"shape":[3,1],"values":[1,2,3]}}}""", null);

        AssertErrorRecord(results[0], 0, 502, "[3,1]");
        AssertErrorRecord(results[1], 1, 502, "2 rows");
    }

    [Theory]
    [InlineData("""{"meta":{}}""")]
    [InlineData("""{"data":{"names":["a"]}}""")]
    [InlineData("""{"jsonData":[1,2]}""")]
    [InlineData("""{"data":{"tensor":{"shape":[2]}}}""")]
    public void Micro_batch_answer_that_cannot_be_split_makes_error_records(string answer)
    {
        var results = _composer.Compose(Split(Sent(0), Sent(1)), answer, null);

        AssertErrorRecord(results[0], 0, 502);
        AssertErrorRecord(results[1], 1, 502);
    }

    [Theory]
    [InlineData("""{"status":{"code":-1,"info":"division by zero","reason":"MICROSERVICE_INTERNAL_ERROR","status":1}}""", -1, "MICROSERVICE_INTERNAL_ERROR: division by zero")]
    [InlineData("""{"status":{"code":400,"info":"bad input","reason":"MICROSERVICE_BAD_DATA","status":"FAILURE"}}""", 400, "MICROSERVICE_BAD_DATA: bad input")]
    [InlineData("""{"status":{"reason":"ONLY_REASON","status":1.0},"data":{"ndarray":[[1]]}}""", 500, "ONLY_REASON")]
    [InlineData("""{"status":{"status":"FAILURE"}}""", 500, "the model reported a failure without a reason")]
    public void Failure_status_makes_error_records_with_its_code_and_reason(string answer, int code, string reason)
    {
        var single = Assert.Single(_composer.Compose(Single(Sent(4, userTags: """{"k":1}""")), answer, null));
        AssertErrorRecord(single, 4, code);
        Assert.Equal(reason, single.Failure!.Reason);
        Assert.Equal(LineFailureKind.Refused, single.Failure.Kind);
        Assert.Equal("1", Parse(single)["meta"]!["tags"]!["k"]!.ToJsonString());

        var split = _composer.Compose(Split(Sent(0), Unsent(1, "invalid JSON: x"), Sent(2)), answer, null);
        AssertErrorRecord(split[0], 0, code);
        Assert.Equal(reason, split[0].Failure!.Reason);
        AssertErrorRecord(split[1], 1, OutputComposer.UnsentCode, "invalid JSON: x");
        AssertErrorRecord(split[2], 2, code);
    }

    [Fact]
    public void Success_status_is_an_answer()
    {
        var result = Assert.Single(_composer.Compose(Single(Sent(0)), """{"status":{"code":0,"status":0},"strData":"ok"}""", null));

        Assert.True(result.Succeeded);
        Assert.Equal("ok", Parse(result)["strData"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("<html>502 Bad Gateway</html>")]
    [InlineData("{\"data\":")]
    [InlineData("[1, 2]")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    [InlineData("")]
    [InlineData(null)]
    public void Answer_that_is_not_a_json_object_makes_error_records(string? answer)
    {
        var single = Assert.Single(_composer.Compose(Single(Sent(7)), answer, null));
        AssertErrorRecord(single, 7, 502);

        var split = _composer.Compose(Split(Sent(0), Sent(1)), answer, null);
        AssertErrorRecord(split[0], 0, 502);
        AssertErrorRecord(split[1], 1, 502);
    }

    [Fact]
    public void Transport_failure_makes_error_records_with_its_code_and_reason()
    {
        var single = Assert.Single(_composer.Compose(Single(Sent(2)), null, new RequestFailure(LineFailureKind.RetriesExhausted, 503, "HTTP 503: upstream connect error")));
        AssertErrorRecord(single, 2, 503);
        Assert.Equal("HTTP 503: upstream connect error", single.Failure!.Reason);
        Assert.Equal(LineFailureKind.RetriesExhausted, single.Failure.Kind);

        var split = _composer.Compose(Split(Sent(0), Unsent(1, "wrong shape: x"), Sent(2)), """{"data":{"ndarray":[[1],[2]]}}""", new RequestFailure(LineFailureKind.TimedOut, 14, "deadline exceeded"));
        AssertErrorRecord(split[0], 0, 14, "deadline exceeded");
        AssertErrorRecord(split[1], 1, OutputComposer.UnsentCode, "wrong shape: x");
        AssertErrorRecord(split[2], 2, 14, "deadline exceeded");
        Assert.Equal([LineFailureKind.TimedOut, LineFailureKind.InvalidLine, LineFailureKind.TimedOut], split.Select(r => r.Failure!.Kind));
    }

    [Fact]
    public void Error_record_has_exactly_the_seldon_failure_shape()
    {
        var member = Sent(4, userTags: """{"u":1,"name":"n"}""");

        var result = Assert.Single(_composer.Compose(Single(member), null, new RequestFailure(LineFailureKind.Refused, 503, "down")));

        Assert.Equal(
            """{"status":{"code":503,"info":"FAILURE","reason":"down","status":1},"meta":{"tags":{"u":1,"name":"n","batch_id":"run-1","batch_index":4,"batch_instance_id":"i4"}}}""",
            result.Line);
        Assert.Equal(BatchModelFactory.LineFailure(4, LineFailureKind.Refused, 503, "down"), result.Failure);
    }

    [Fact]
    public void Unsent_single_line_is_an_error_record_with_code_400()
    {
        var batch = new EncodedBatch([Unsent(9, "blank line: there is no instance to send")], null, "i9");

        var result = Assert.Single(_composer.Compose(batch, null, null));

        Assert.Equal(
            """{"status":{"code":400,"info":"FAILURE","reason":"blank line: there is no instance to send","status":1},"meta":{"tags":{"batch_id":"run-1","batch_index":9,"batch_instance_id":"i9"}}}""",
            result.Line);
    }

    [Fact]
    public void Micro_batch_with_nothing_sent_is_all_error_records()
    {
        var batch = new EncodedBatch([Unsent(0, "invalid JSON: a"), Unsent(1, "wrong shape: b")], null, "req") { IsSplit = true };

        var results = _composer.Compose(batch, null, null);

        AssertErrorRecord(results[0], 0, 400, "invalid JSON: a");
        AssertErrorRecord(results[1], 1, 400, "wrong shape: b");
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Reason_is_never_empty(string reason)
    {
        var fromCompose = Assert.Single(_composer.Compose(Single(Sent(0)), null, new RequestFailure(LineFailureKind.Refused, 500, reason)));
        AssertErrorRecord(fromCompose, 0, 500);

        var direct = _composer.ErrorRecord(Sent(1), new RequestFailure(LineFailureKind.Refused, 500, reason));
        AssertErrorRecord(direct, 1, 500);
    }

    [Fact]
    public void Member_with_an_empty_encoding_error_still_gets_a_reason()
    {
        var results = _composer.Compose(Split(Sent(0), Unsent(1, "")), """{"data":{"ndarray":[[1]]}}""", null);

        Assert.True(results[0].Succeeded);
        AssertErrorRecord(results[1], 1, 400);
    }

    [Theory]
    [InlineData("""{"data":{"ndarray":[[1]]},"data":{"ndarray":[[2]]}}""")]
    [InlineData("""{"status":{"status":1},"status":{"status":1}}""")]
    [InlineData("""{"data":{"ndarray":[[1]]},"meta":{"tags":{"a":1,"a":2}}}""")]
    public void Answer_with_a_duplicate_property_makes_error_records(string answer)
    {
        var single = Assert.Single(_composer.Compose(Single(Sent(0)), answer, null));
        AssertErrorRecord(single, 0, 502);

        var split = _composer.Compose(Split(Sent(0), Sent(1)), answer, null);
        AssertErrorRecord(split[0], 0, 502);
        AssertErrorRecord(split[1], 1, 502);
    }
}
