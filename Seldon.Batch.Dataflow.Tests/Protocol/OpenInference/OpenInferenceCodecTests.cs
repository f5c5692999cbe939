using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

public sealed class OpenInferenceCodecTests
{
    private static OpenInferenceCodec Codec(DataType dataType, int batchSize = 1, string inputName = "input-0", string? datatype = null)
    {
        var n = 0;
        return new OpenInferenceCodec(new OpenInferenceSettings(dataType, "run-1", batchSize, inputName, datatype), () => $"id{++n}");
    }

    private static IReadOnlyList<EncodedBatch> Encode(OpenInferenceCodec codec, params string[] texts) =>
        codec.Encode(texts.Select((t, k) => new InputLine(10 + k, t)).ToArray());

    private static JsonObject Body(EncodedBatch batch) => JsonNode.Parse(batch.RequestBody!)!.AsObject();

    private static JsonObject Parse(InstanceResult result) => JsonNode.Parse(result.Line)!.AsObject();

    [Fact]
    public void An_array_line_is_one_tensor_with_its_shape_and_a_datatype_read_from_the_values()
    {
        var batch = Assert.Single(Encode(Codec(DataType.Data), "[[1, 2, 3], [4, 5, 6]]"));

        Assert.Equal("""{"id":"id1","inputs":[{"name":"input-0","shape":[2,3],"datatype":"INT64","data":[1,2,3,4,5,6]}]}""", batch.RequestBody);
        Assert.Equal("id1", batch.Puid);
        Assert.Equal(2, Assert.Single(batch.Members).Rows);
        Assert.Equal("FP64", Body(Assert.Single(Encode(Codec(DataType.Data), "[[1, 2.5]]")))["inputs"]![0]!["datatype"]!.GetValue<string>());
        Assert.Equal("BOOL", Body(Assert.Single(Encode(Codec(DataType.Data), "[[true, false]]")))["inputs"]![0]!["datatype"]!.GetValue<string>());
    }

    [Fact]
    public void The_input_name_and_datatype_of_the_settings_win()
    {
        var body = Body(Assert.Single(Encode(Codec(DataType.Data, inputName: "x", datatype: "FP32"), "[[1, 2]]")));

        Assert.Equal("x", body["inputs"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("FP32", body["inputs"]![0]!["datatype"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("[[1, \"a\"]]", "mix numbers and strings")]
    [InlineData("[[1, 2], [3]]", "ragged")]
    [InlineData("{\"a\": 1}", "needs a JSON array")]
    [InlineData("[[1, 2", "invalid JSON")]
    public void A_bad_array_line_is_its_own_error_and_never_sent(string line, string reason)
    {
        var codec = Codec(DataType.Data);
        var batch = Assert.Single(Encode(codec, line));

        Assert.False(batch.HasRequest);
        var member = Assert.Single(batch.Members);
        Assert.Contains(reason, member.EncodingError);
        var record = Parse(Assert.Single(codec.Compose(batch, null, null)));
        Assert.Equal(10, record["parameters"]!["batch_index"]!.GetValue<long>());
        Assert.Equal(400, record["error"]!["code"]!.GetValue<int>());
        Assert.Contains(reason, record["error"]!["msg"]!.GetValue<string>());
    }

    [Fact]
    public void A_value_outside_the_datatype_is_refused_before_sending()
    {
        var batch = Assert.Single(Encode(Codec(DataType.Data, datatype: "INT8"), "[[1, 300]]"));

        Assert.Contains("300 is not a INT8 value", Assert.Single(batch.Members).EncodingError);
    }

    [Fact]
    public void Lines_that_agree_are_concatenated_along_the_first_dimension()
    {
        var batch = Assert.Single(Encode(Codec(DataType.Data, batchSize: 3), "[[1, 2]]", "[[3, 4], [5, 6]]", "[[7, 8]]"));

        Assert.Equal("""{"id":"id1","inputs":[{"name":"input-0","shape":[4,2],"datatype":"INT64","data":[1,2,3,4,5,6,7,8]}]}""", batch.RequestBody);
        Assert.True(batch.IsSplit);
        Assert.Equal([1, 2, 1], batch.Members.Select(m => m.Rows));
        Assert.Equal(["id1-item-0", "id1-item-1", "id1-item-2"], batch.Members.Select(m => m.InstanceId));
    }

    [Fact]
    public void A_line_that_does_not_fit_starts_a_new_request_and_order_is_kept()
    {
        var codec = Codec(DataType.Data, batchSize: 5);
        var batches = Encode(codec, "[[1, 2]]", "[[3, 4]]", "[[1, 2, 3]]", "oops", "[[5, 6]]");

        Assert.Equal(3, batches.Count);
        Assert.Equal([10L, 11], batches[0].Members.Select(m => m.Index));
        Assert.Equal([12L, 13], batches[1].Members.Select(m => m.Index));
        Assert.Equal([14L], batches[2].Members.Select(m => m.Index));
        Assert.Equal("[1,3]", Body(batches[1])["inputs"]![0]!["shape"]!.ToJsonString());
        Assert.NotNull(batches[1].Members[1].EncodingError);
        Assert.False(batches[1].IsSplit);
    }

    [Fact]
    public void A_raw_line_keeps_its_parameters_outputs_and_id_and_flat_data()
    {
        var line = """{"id":"mine","parameters":{"content_type":"np"},"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","parameters":{"content_type":"np"},"data":[[1,2],[3,4]]}],"outputs":[{"name":"y"}]}""";
        var batch = Assert.Single(Encode(Codec(DataType.Raw), line));

        Assert.Equal(
            """{"id":"id1","parameters":{"content_type":"np"},"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","parameters":{"content_type":"np"},"data":[1,2,3,4]}],"outputs":[{"name":"y"}]}""",
            batch.RequestBody);
        Assert.Equal("mine", batch.Members[0].LineId);
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP64","data":[1,2,3]}]}""", "has 3 values for shape [2,2]")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FLOAT","data":[1]}]}""", "no valid \"datatype\"")]
    [InlineData("""{"inputs":[]}""", "needs \"inputs\"")]
    [InlineData("""[1]""", "is a JSON object")]
    public void A_raw_line_that_is_not_an_inference_request_is_an_error(string line, string reason)
    {
        var batch = Assert.Single(Encode(Codec(DataType.Raw), line));

        Assert.Contains(reason, Assert.Single(batch.Members).EncodingError);
    }

    [Fact]
    public void Raw_lines_with_different_parameters_are_not_merged()
    {
        var a = """{"parameters":{"p":1},"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]}""";
        var b = """{"parameters":{"p":2},"inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]}""";

        Assert.Equal(2, Encode(Codec(DataType.Raw, batchSize: 4), a, b).Count);
        Assert.Single(Encode(Codec(DataType.Raw, batchSize: 4), a, a));
    }

    [Fact]
    public void Str_and_json_lines_are_one_bytes_element_with_the_string_content_type()
    {
        Assert.Equal(
            """{"id":"id1","inputs":[{"name":"input-0","shape":[1],"datatype":"BYTES","parameters":{"content_type":"str"},"data":["héllo"]}]}""",
            Assert.Single(Encode(Codec(DataType.Str), "\"héllo\"")).RequestBody);
        Assert.Equal("""["plain text"]""", Body(Assert.Single(Encode(Codec(DataType.Str), "plain text")))["inputs"]![0]!["data"]!.ToJsonString());
        Assert.Equal(
            "{\"a\":[1,2]}",
            Body(Assert.Single(Encode(Codec(DataType.Json), "{ \"a\" : [1, 2] }")))["inputs"]![0]!["data"]![0]!.GetValue<string>());
        Assert.Equal("[3]", Body(Assert.Single(Encode(Codec(DataType.Str, batchSize: 3), "a", "b", "c")))["inputs"]![0]!["shape"]!.ToJsonString());
    }

    [Fact]
    public void An_answer_is_cut_into_each_lines_rows_with_the_batch_parameters()
    {
        var codec = Codec(DataType.Raw, batchSize: 3);
        var x = """{"id":"a","inputs":[{"name":"x","shape":[1,2],"datatype":"FP64","data":[1,2]}]}""";
        var y = """{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP64","data":[3,4,5,6]}]}""";
        var batch = Assert.Single(Encode(codec, x, y));
        var answer = """{"model_name":"m","model_version":"1","id":"id1","parameters":{"rows":3,"batch_index":99},"outputs":[{"name":"y","shape":[3,2],"datatype":"FP64","parameters":{"content_type":"np"},"data":[2,4,6,8,10,12]},{"name":"z","shape":[3],"datatype":"INT64","data":[0,1,2]}],"extra":true}""";

        var results = codec.Compose(batch, answer, null);

        Assert.Equal(
            """{"model_name":"m","model_version":"1","id":"a","parameters":{"rows":3,"batch_id":"run-1","batch_index":10,"batch_instance_id":"id1-item-0","inference_id":"id1"},"outputs":[{"name":"y","shape":[1,2],"datatype":"FP64","parameters":{"content_type":"np"},"data":[2,4]},{"name":"z","shape":[1],"datatype":"INT64","data":[0]}],"extra":true}""",
            results[0].Line);
        var second = Parse(results[1]);
        Assert.Null(second["id"]);
        Assert.Equal("[2,2]", second["outputs"]![0]!["shape"]!.ToJsonString());
        Assert.Equal("[6,8,10,12]", second["outputs"]![0]!["data"]!.ToJsonString());
        Assert.Equal("[1,2]", second["outputs"]![1]!["data"]!.ToJsonString());
        Assert.All(results, r => Assert.True(r.Succeeded));
    }

    [Theory]
    [InlineData("""{"model_name":"m","outputs":[{"name":"y","shape":[%N%,1],"datatype":"FP64","data":[%ROWS%]}]}""")]
    [InlineData("""{"zz":{"a":"\ud83d\ude00"},"model_version":"1","model_name":"caf\u00e9","id":"x","parameters":{"p":"\u2028<&>","batch_index":99,"n":null},"outputs":[{"parameters":{"content_type":"q\"\\ "},"name":"y\u00e9","data":[%ROWS%],"datatype":"FP64","shape":[%N%,1]},{"name":"z","shape":[%N%],"datatype":"FP64","data":[%ROWS%]}],"extra":[1,"\/"]}""")]
    public void Lines_of_a_shared_answer_are_written_as_a_one_line_answer_would_be(string template)
    {
        // A split answer writes what its lines share once and copies it into each line: the bytes must be those the
        // line writer makes from the document, escapes and order included.
        var splitter = new InferenceResponseSplitter("run-1");
        BatchMember Member(int k) => new(k, $"id1-item-{k}") { Rows = 1, InferenceId = "id1", LineId = k == 1 ? "own" : null };
        string[] rows = ["1", "2.50", "-3e2"];
        var batch = new EncodedBatch([Member(0), Member(1), Member(2)], "{}", "id1") { IsSplit = true };

        var split = splitter.Compose(batch, template.Replace("%N%", "3").Replace("%ROWS%", string.Join(',', rows)), null);

        for (var i = 0; i < rows.Length; i++)
        {
            var alone = splitter.Compose(new EncodedBatch([Member(i)], "{}", "id1"), template.Replace("%N%", "1").Replace("%ROWS%", rows[i]), null);
            Assert.True(split[i].Succeeded, split[i].Failure?.Reason);
            Assert.Equal(Assert.Single(alone).Line, split[i].Line);
        }
    }

    [Fact]
    public void An_output_without_the_batch_dimension_fails_every_line_naming_it()
    {
        var codec = Codec(DataType.Data, batchSize: 2);
        var batch = Assert.Single(Encode(codec, "[[1]]", "[[2]]"));
        var answer = """{"outputs":[{"name":"sum","shape":[1],"datatype":"FP64","data":[3]}]}""";

        var results = codec.Compose(batch, answer, null);

        Assert.All(results, r =>
        {
            Assert.False(r.Succeeded);
            var error = Parse(r)["error"]!;
            Assert.Equal(502, error["code"]!.GetValue<int>());
            Assert.Contains("output 'sum' has shape [1]", error["msg"]!.GetValue<string>());
            Assert.Equal("unusable answer", error["status"]!.GetValue<string>());
        });
    }

    [Theory]
    [InlineData("not json", "not JSON")]
    [InlineData("[]", "not a JSON object")]
    [InlineData("{}", "no \"outputs\"")]
    [InlineData("", "empty")]
    public void An_unusable_answer_is_an_error_record_per_line(string answer, string reason)
    {
        var codec = Codec(DataType.Data);
        var batch = Assert.Single(Encode(codec, "[[1]]"));

        var record = Assert.Single(codec.Compose(batch, answer, null));

        Assert.Contains(reason, record.Failure!.Reason);
        Assert.Equal(LineFailureKind.UnusableAnswer, record.Failure.Kind);
        Assert.Equal(502, record.Failure.Status);
    }

    [Fact]
    public void A_failed_request_is_an_error_record_in_mlserver_infer_shape_with_the_kind_as_status()
    {
        var codec = Codec(DataType.Raw);
        var batch = Assert.Single(Encode(codec, """{"id":"q","inputs":[{"name":"x","shape":[1],"datatype":"FP64","data":[1]}]}"""));

        var record = Assert.Single(codec.Compose(batch, null, new RequestFailure(LineFailureKind.Refused, 404, "HTTP 404 Not Found from http://h/v2/models/m/infer: Model m not found")));

        Assert.Equal(
            """{"id":"q","parameters":{"batch_id":"run-1","batch_index":10,"batch_instance_id":"id1","inference_id":"id1"},"error":{"status":"HTTP 404 Not Found","code":404,"msg":"HTTP 404 Not Found from http://h/v2/models/m/infer: Model m not found"}}""",
            record.Line);
        Assert.Equal("HTTP 404 Not Found", record.Failure!.Category);
        Assert.Contains("unknown failure", codec.ErrorRecord(batch.Members[0], new RequestFailure(LineFailureKind.Refused, 500, " ")).Line);
    }
}
