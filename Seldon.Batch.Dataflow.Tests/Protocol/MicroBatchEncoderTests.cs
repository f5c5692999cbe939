using System.Text.Json;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

public sealed class MicroBatchEncoderTests
{
    private const string BatchId = "run-1";

    private static MicroBatchEncoder Encoder(
        DataType dataType,
        PayloadType payloadType = PayloadType.Ndarray,
        PredictionMethod method = PredictionMethod.Predict,
        int batchSize = 1)
    {
        var n = 0;
        return new MicroBatchEncoder(new EncoderSettings(dataType, payloadType, method, BatchId, batchSize), () => $"id{++n}");
    }

    private static EncodedBatch EncodeOne(MicroBatchEncoder encoder, string text, long index = 0) =>
        Assert.Single(encoder.Encode([new InputLine(index, text)]));

    /// <summary>A group that makes exactly one request.</summary>
    private static EncodedBatch EncodeMany(MicroBatchEncoder encoder, long firstIndex, params string[] texts) =>
        Assert.Single(EncodeGroup(encoder, firstIndex, texts));

    private static IReadOnlyList<EncodedBatch> EncodeGroup(MicroBatchEncoder encoder, long firstIndex, params string[] texts) =>
        encoder.Encode(texts.Select((t, k) => new InputLine(firstIndex + k, t)).ToArray());

    private static JsonObject Body(EncodedBatch batch)
    {
        Assert.NotNull(batch.RequestBody);
        return JsonNode.Parse(batch.RequestBody)!.AsObject();
    }

    private static void AssertBatchTags(JsonNode? tags, long index, string instanceId)
    {
        Assert.NotNull(tags);
        Assert.Equal(BatchId, tags["batch_id"]!.GetValue<string>());
        Assert.Equal(JsonValueKind.Number, tags["batch_index"]!.GetValueKind());
        Assert.Equal(index.ToString(System.Globalization.CultureInfo.InvariantCulture), tags["batch_index"]!.ToJsonString());
        Assert.Equal(instanceId, tags["batch_instance_id"]!.GetValue<string>());
    }

    private static string[] Keys(JsonNode? node) => node!.AsObject().Select(p => p.Key).ToArray();

    // ---- batch size 1 -------------------------------------------------------------------------

    [Fact]
    public void Ndarray_line_becomes_data_ndarray_request_with_batch_tags()
    {
        var batch = EncodeOne(Encoder(DataType.Data), "[[1, 2, 3]]", index: 7);

        Assert.Equal(
            """{"data":{"ndarray":[[1,2,3]]},"meta":{"tags":{"batch_id":"run-1","batch_index":7,"batch_instance_id":"id1"}}}""",
            batch.RequestBody);
        Assert.Equal("id1", batch.Puid);
        Assert.False(batch.IsSplit);
        var member = Assert.Single(batch.Members);
        Assert.Equal(7, member.Index);
        Assert.Equal("id1", member.InstanceId);
        Assert.Equal(1, member.Rows);
        Assert.True(member.IsSent);
        Assert.Null(member.EncodingError);
    }

    [Fact]
    public void Ndarray_keeps_integers_as_integers_and_floats_as_written()
    {
        var batch = EncodeOne(Encoder(DataType.Data), "[[1, 2.5, -3, 1.0, 40000000000]]");

        Assert.Contains("\"ndarray\":[[1,2.5,-3,1.0,40000000000]]", batch.RequestBody);
        var row = Body(batch)["data"]!["ndarray"]![0]!.AsArray();
        Assert.Equal(["1", "2.5", "-3", "1.0", "40000000000"], row.Select(v => v!.ToJsonString()).ToArray());
    }

    [Fact]
    public void Tensor_line_becomes_shape_and_flattened_values()
    {
        var batch = EncodeOne(Encoder(DataType.Data, PayloadType.Tensor), "[[1, 2, 3]]", index: 2);

        var body = Body(batch);
        var tensor = body["data"]!["tensor"]!;
        Assert.Equal("[1,3]", tensor["shape"]!.ToJsonString());
        Assert.Equal("[1,2,3]", tensor["values"]!.ToJsonString());
        Assert.Equal(["data", "meta"], Keys(body));
        AssertBatchTags(body["meta"]!["tags"], 2, "id1");
    }

    [Fact]
    public void Tensor_of_two_rows_keeps_float_literals()
    {
        var batch = EncodeOne(Encoder(DataType.Data, PayloadType.Tensor), "[[1.5, 2], [3, 4]]");

        var tensor = Body(batch)["data"]!["tensor"]!;
        Assert.Equal("[2,2]", tensor["shape"]!.ToJsonString());
        Assert.Equal("[1.5,2,3,4]", tensor["values"]!.ToJsonString());
    }

    [Fact]
    public void Tftensor_of_integers_is_int64_with_string_values_and_string_dims()
    {
        var batch = EncodeOne(Encoder(DataType.Data, PayloadType.Tftensor), "[[1, 2, 3]]");

        var tf = Body(batch)["data"]!["tftensor"]!.AsObject();
        Assert.Equal("DT_INT64", tf["dtype"]!.GetValue<string>());
        Assert.Equal("""{"dim":[{"size":"1"},{"size":"3"}]}""", tf["tensorShape"]!.ToJsonString());
        Assert.Equal("""["1","2","3"]""", tf["int64Val"]!.ToJsonString());
        Assert.False(tf.ContainsKey("doubleVal"));
    }

    [Fact]
    public void Tftensor_with_a_float_is_double()
    {
        var batch = EncodeOne(Encoder(DataType.Data, PayloadType.Tftensor), "[[1.5, 2], [3, 4]]");

        var tf = Body(batch)["data"]!["tftensor"]!.AsObject();
        Assert.Equal("DT_DOUBLE", tf["dtype"]!.GetValue<string>());
        Assert.Equal("""{"dim":[{"size":"2"},{"size":"2"}]}""", tf["tensorShape"]!.ToJsonString());
        Assert.Equal("[1.5,2,3,4]", tf["doubleVal"]!.ToJsonString());
        Assert.False(tf.ContainsKey("int64Val"));
    }

    [Theory]
    [InlineData("""{"a": 1, "b": [true, null]}""")]
    [InlineData("42")]
    [InlineData("3.25")]
    [InlineData("null")]
    [InlineData("\"text\"")]
    [InlineData("[1, \"x\", {}]")]
    public void Json_line_becomes_json_data(string line)
    {
        var batch = EncodeOne(Encoder(DataType.Json), line, index: 3);

        var body = Body(batch);
        Assert.Equal(["jsonData", "meta"], Keys(body));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(line), body["jsonData"]));
        AssertBatchTags(body["meta"]!["tags"], 3, "id1");
    }

    [Theory]
    [InlineData("\"hello world\"", "hello world")]
    [InlineData("  \"padded\"  ", "padded")]
    [InlineData("\"a \\\"quoted\\\" \\u00e9\"", "a \"quoted\" é")]
    [InlineData("hello world", "hello world")]
    [InlineData("123", "123")]
    [InlineData("\"unterminated", "\"unterminated")]
    public void Str_line_becomes_str_data(string line, string expected)
    {
        var batch = EncodeOne(Encoder(DataType.Str), line, index: 4);

        var body = Body(batch);
        Assert.Equal(["strData", "meta"], Keys(body));
        Assert.Equal(expected, body["strData"]!.GetValue<string>());
        AssertBatchTags(body["meta"]!["tags"], 4, "id1");
    }

    [Fact]
    public void Raw_predict_keeps_the_message_and_user_tags_and_adds_batch_tags()
    {
        const string line = """{"data":{"names":["a"],"ndarray":[[1]]},"meta":{"puid":"p-9","tags":{"user":"u1","n":2}}}""";

        var batch = EncodeOne(Encoder(DataType.Raw), line, index: 5);

        var body = Body(batch);
        Assert.Equal("""{"names":["a"],"ndarray":[[1]]}""", body["data"]!.ToJsonString());
        Assert.Equal("p-9", body["meta"]!["puid"]!.GetValue<string>());
        var tags = body["meta"]!["tags"]!;
        Assert.Equal(["user", "n", "batch_id", "batch_index", "batch_instance_id"], Keys(tags));
        Assert.Equal("u1", tags["user"]!.GetValue<string>());
        Assert.Equal("2", tags["n"]!.ToJsonString());
        AssertBatchTags(tags, 5, "id1");

        var member = Assert.Single(batch.Members);
        Assert.NotNull(member.UserTags);
        Assert.Equal("""{"user":"u1","n":2}""", member.UserTags.ToJsonString());
    }

    [Theory]
    [InlineData("""{"data":{"ndarray":[[1]]}}""")]
    [InlineData("""{"data":{"ndarray":[[1]]},"meta":{}}""")]
    [InlineData("""{"data":{"ndarray":[[1]]},"meta":{"puid":"x"}}""")]
    public void Raw_predict_creates_meta_tags_when_absent(string line)
    {
        var batch = EncodeOne(Encoder(DataType.Raw), line, index: 1);

        var tags = Body(batch)["meta"]!["tags"]!;
        Assert.Equal(["batch_id", "batch_index", "batch_instance_id"], Keys(tags));
        AssertBatchTags(tags, 1, "id1");
        var member = Assert.Single(batch.Members);
        Assert.Empty(member.UserTags!);
    }

    [Fact]
    public void Raw_feedback_puts_tags_in_the_request_meta()
    {
        const string line = """{"request":{"data":{"ndarray":[[1]]},"meta":{"tags":{"k":"v"}}},"response":{"data":{"ndarray":[[0.5]]}},"reward":1}""";

        var batch = EncodeOne(Encoder(DataType.Raw, method: PredictionMethod.Feedback), line, index: 8);

        var body = Body(batch);
        Assert.Equal(["request", "response", "reward"], Keys(body));
        var tags = body["request"]!["meta"]!["tags"]!;
        Assert.Equal(["k", "batch_id", "batch_index", "batch_instance_id"], Keys(tags));
        AssertBatchTags(tags, 8, "id1");
        Assert.Null(body["response"]!["meta"]);
        Assert.Equal("""{"k":"v"}""", batch.Members[0].UserTags!.ToJsonString());
    }

    [Fact]
    public void Raw_feedback_without_request_gets_one_holding_the_tags()
    {
        const string line = """{"truth":{"data":{"ndarray":[[1]]}},"reward":0.5}""";

        var batch = EncodeOne(Encoder(DataType.Raw, method: PredictionMethod.Feedback), line, index: 0);

        var body = Body(batch);
        Assert.Equal("0.5", body["reward"]!.ToJsonString());
        var request = body["request"]!.AsObject();
        Assert.Equal(["meta"], Keys(request));
        AssertBatchTags(request["meta"]!["tags"], 0, "id1");
        Assert.False(body.ContainsKey("meta"));
    }

    [Fact]
    public void Raw_feedback_with_a_non_object_request_is_an_encoding_error()
    {
        var batch = EncodeOne(Encoder(DataType.Raw, method: PredictionMethod.Feedback), """{"request":[1],"reward":1}""");

        Assert.False(batch.HasRequest);
        Assert.StartsWith("wrong shape", batch.Members[0].EncodingError);
    }

    [Theory]
    [InlineData("[1]")]
    [InlineData("\"text\"")]
    [InlineData("""{"meta":[1]}""")]
    [InlineData("""{"meta":{"tags":"x"}}""")]
    public void Raw_line_of_the_wrong_shape_is_an_encoding_error(string line)
    {
        var batch = EncodeOne(Encoder(DataType.Raw), line);

        Assert.False(batch.HasRequest);
        Assert.Null(batch.RequestBody);
        Assert.StartsWith("wrong shape", batch.Members[0].EncodingError);
    }

    [Theory]
    [InlineData(DataType.Data, "")]
    [InlineData(DataType.Data, "   ")]
    [InlineData(DataType.Data, "\t \r")]
    [InlineData(DataType.Json, " ")]
    [InlineData(DataType.Str, "")]
    [InlineData(DataType.Raw, "  ")]
    public void Blank_line_is_an_encoding_error_without_request(DataType dataType, string line)
    {
        var batch = EncodeOne(Encoder(dataType), line, index: 6);

        Assert.False(batch.HasRequest);
        Assert.Null(batch.RequestBody);
        var member = Assert.Single(batch.Members);
        Assert.Equal(6, member.Index);
        Assert.False(member.IsSent);
        Assert.False(string.IsNullOrWhiteSpace(member.EncodingError));
    }

    [Theory]
    [InlineData(DataType.Data, PayloadType.Ndarray, "[[1, 2")]
    [InlineData(DataType.Data, PayloadType.Tensor, "[[1, 2]]]")]
    [InlineData(DataType.Data, PayloadType.Tftensor, "{nope}")]
    [InlineData(DataType.Json, PayloadType.Ndarray, "{\"a\":}")]
    [InlineData(DataType.Raw, PayloadType.Ndarray, "{\"data\":")]
    [InlineData(DataType.Data, PayloadType.Ndarray, "[1,2] [3]")]
    public void Invalid_json_is_an_encoding_error(DataType dataType, PayloadType payloadType, string line)
    {
        var batch = EncodeOne(Encoder(dataType, payloadType), line);

        Assert.False(batch.HasRequest);
        Assert.StartsWith("invalid JSON", batch.Members[0].EncodingError);
    }

    [Theory]
    [InlineData(PayloadType.Tensor, "[[1, 2], [3]]")]
    [InlineData(PayloadType.Tensor, "[[1, \"a\"]]")]
    [InlineData(PayloadType.Tensor, "[[1, null]]")]
    [InlineData(PayloadType.Tensor, "[1, [2]]")]
    [InlineData(PayloadType.Tensor, "{\"a\": 1}")]
    [InlineData(PayloadType.Tftensor, "[[1, 2], [3]]")]
    [InlineData(PayloadType.Tftensor, "[[true]]")]
    public void Ragged_or_non_numeric_tensor_is_wrong_shape(PayloadType payloadType, string line)
    {
        var batch = EncodeOne(Encoder(DataType.Data, payloadType), line);

        Assert.False(batch.HasRequest);
        Assert.StartsWith("wrong shape", batch.Members[0].EncodingError);
    }

    [Theory]
    [InlineData("{\"a\": 1}")]
    [InlineData("5")]
    [InlineData("\"text\"")]
    [InlineData("null")]
    public void Ndarray_line_that_is_not_an_array_is_an_error(string line)
    {
        var batch = EncodeOne(Encoder(DataType.Data), line);

        Assert.False(batch.HasRequest);
        Assert.StartsWith("wrong shape", batch.Members[0].EncodingError);
    }

    [Fact]
    public void Each_encode_takes_a_new_id()
    {
        var encoder = Encoder(DataType.Data);

        var first = EncodeOne(encoder, "[[1]]", 0);
        var second = EncodeOne(encoder, "[[2]]", 1);

        Assert.Equal("id1", first.Members[0].InstanceId);
        Assert.Equal("id2", second.Members[0].InstanceId);
        AssertBatchTags(Body(second)["meta"]!["tags"], 1, "id2");
    }

    [Fact]
    public void Without_micro_batching_a_group_of_two_lines_is_refused()
    {
        Assert.Throws<ArgumentException>(() => EncodeMany(Encoder(DataType.Data), 0, "[[1]]", "[[2]]"));
    }

    // ---- micro-batching ----------------------------------------------------------------------

    [Fact]
    public void Micro_batch_concatenates_ndarray_rows_in_one_request()
    {
        var batch = EncodeMany(Encoder(DataType.Data, batchSize: 3), 10, "[[1, 2]]", "[[3, 4], [5, 6]]", "[[7, 8.5]]");

        Assert.True(batch.IsSplit);
        Assert.Equal("id1", batch.Puid);
        var body = Body(batch);
        Assert.Equal(["data", "meta"], Keys(body));
        Assert.Equal("""{"ndarray":[[1,2],[3,4],[5,6],[7,8.5]]}""", body["data"]!.ToJsonString());
        AssertBatchTags(body["meta"]!["tags"], 10, "id1");
        Assert.Equal([10L, 11L, 12L], batch.Members.Select(m => m.Index).ToArray());
        Assert.Equal([1, 2, 1], batch.Members.Select(m => m.Rows).ToArray());
        Assert.All(batch.Members, m => Assert.Null(m.EncodingError));
    }

    [Fact]
    public void Micro_batch_instance_ids_derive_from_the_request_id()
    {
        var encoder = Encoder(DataType.Data, batchSize: 3);

        var first = EncodeMany(encoder, 0, "[[1]]", "[[2]]", "[[3]]");
        var second = EncodeMany(encoder, 3, "[[4]]", "[[5]]");

        Assert.Equal(["id1-item-0", "id1-item-1", "id1-item-2"], first.Members.Select(m => m.InstanceId).ToArray());
        Assert.Equal(["id2-item-0", "id2-item-1"], second.Members.Select(m => m.InstanceId).ToArray());
        Assert.Equal("id2", second.Puid);
        AssertBatchTags(Body(second)["meta"]!["tags"], 3, "id2");
    }

    [Fact]
    public void Micro_batch_merges_tensor_shapes_and_values()
    {
        var batch = EncodeMany(Encoder(DataType.Data, PayloadType.Tensor, batchSize: 2), 0, "[[1, 2, 3]]", "[[4, 5.5, 6]]");

        var tensor = Body(batch)["data"]!["tensor"]!;
        Assert.Equal("[2,3]", tensor["shape"]!.ToJsonString());
        Assert.Equal("[1,2,3,4,5.5,6]", tensor["values"]!.ToJsonString());
        Assert.Equal([1, 1], batch.Members.Select(m => m.Rows).ToArray());
    }

    [Fact]
    public void Micro_batch_merges_tensor_lines_of_several_rows()
    {
        var batch = EncodeMany(Encoder(DataType.Data, PayloadType.Tensor, batchSize: 3), 0, "[[1, 2]]", "[[3, 4], [5, 6]]", "[[7, 8]]");

        var tensor = Body(batch)["data"]!["tensor"]!;
        Assert.Equal("[4,2]", tensor["shape"]!.ToJsonString());
        Assert.Equal("[1,2,3,4,5,6,7,8]", tensor["values"]!.ToJsonString());
        Assert.Equal([1, 2, 1], batch.Members.Select(m => m.Rows).ToArray());
    }

    [Theory]
    [InlineData("[[1, 2", "invalid JSON")]
    [InlineData("", "blank line")]
    [InlineData("{\"a\":1}", "wrong shape")]
    [InlineData("[]", "wrong shape")]
    public void Micro_batch_bad_line_in_the_middle_fails_alone(string bad, string expectedStart)
    {
        var batch = EncodeMany(Encoder(DataType.Data, batchSize: 3), 20, "[[1, 2]]", bad, "[[5, 6]]");

        Assert.Equal("""{"ndarray":[[1,2],[5,6]]}""", Body(batch)["data"]!.ToJsonString());
        Assert.True(batch.Members[0].IsSent);
        Assert.Equal(1, batch.Members[0].Rows);
        Assert.False(batch.Members[1].IsSent);
        Assert.StartsWith(expectedStart, batch.Members[1].EncodingError);
        Assert.True(batch.Members[2].IsSent);
        Assert.Equal(1, batch.Members[2].Rows);
        Assert.Equal("id1-item-1", batch.Members[1].InstanceId);
    }

    [Theory]
    [InlineData("[[1, 2, 3]]")]
    [InlineData("[[[1, 2]]]")]
    [InlineData("[1, 2]")]
    public void Micro_batch_line_of_another_row_shape_starts_the_next_request(string other)
    {
        var batches = EncodeGroup(Encoder(DataType.Data, batchSize: 3), 20, "[[1, 2]]", other, "[[5, 6]]");

        // Runs of lines in line order: the odd line is sent on its own, and the line after it starts a request again.
        Assert.Equal(3, batches.Count);
        Assert.Equal([[20L], [21L], [22L]], batches.Select(b => b.Members.Select(m => m.Index).ToArray()).ToArray());
        Assert.All(batches, b => Assert.True(Assert.Single(b.Members).IsSent));
        Assert.Equal("""{"ndarray":[[1,2]]}""", Body(batches[0])["data"]!.ToJsonString());
        Assert.Equal(JsonNode.Parse(other)!.ToJsonString(), Body(batches[1])["data"]!["ndarray"]!.ToJsonString());
        Assert.Equal("""{"ndarray":[[5,6]]}""", Body(batches[2])["data"]!.ToJsonString());
        Assert.Equal(["id1", "id2", "id3"], batches.Select(b => b.Puid).ToArray());
        Assert.Equal("id2-item-0", batches[1].Members[0].InstanceId);
        AssertBatchTags(Body(batches[1])["meta"]!["tags"], 21, "id2");
        Assert.All(batches, b => Assert.True(b.IsSplit));
    }

    [Fact]
    public void Micro_batch_whose_first_line_has_another_shape_sends_the_rest_together()
    {
        var batches = EncodeGroup(Encoder(DataType.Data, batchSize: 4), 0, "[[1, 2, 3]]", "[[1, 2]]", "nope", "[[5, 6]]");

        Assert.Equal(2, batches.Count);
        Assert.Equal("""{"ndarray":[[1,2,3]]}""", Body(batches[0])["data"]!.ToJsonString());
        Assert.Equal("""{"ndarray":[[1,2],[5,6]]}""", Body(batches[1])["data"]!.ToJsonString());
        Assert.Equal([1L, 2L, 3L], batches[1].Members.Select(m => m.Index).ToArray());
        Assert.StartsWith("invalid JSON", batches[1].Members[1].EncodingError);
        Assert.Equal([1, 0, 1], batches[1].Members.Select(m => m.Rows).ToArray());
    }

    [Fact]
    public void Micro_batch_of_alternating_shapes_makes_one_request_per_run()
    {
        var batches = EncodeGroup(Encoder(DataType.Data, batchSize: 6), 0, "[[1]]", "[[2]]", "[[3, 3]]", "[[4, 4]]", "[[5]]", "");

        Assert.Equal(["[[1],[2]]", "[[3,3],[4,4]]", "[[5]]"], batches.Select(b => Body(b)["data"]!["ndarray"]!.ToJsonString()).ToArray());
        // The blank last line stands with the request before it: every line keeps its place.
        Assert.Equal([0L, 1L, 2L, 3L, 4L, 5L], batches.SelectMany(b => b.Members).Select(m => m.Index).ToArray());
        Assert.False(batches[2].Members[1].IsSent);
    }

    [Theory]
    [InlineData("[[1, 2], [3]]", false)]
    [InlineData("[[1, 2, 3]]", true)]
    [InlineData("[[\"a\", 2]]", false)]
    public void Micro_batch_tensor_line_of_another_shape_is_sent_on_its_own(string other, bool sent)
    {
        var batches = EncodeGroup(Encoder(DataType.Data, PayloadType.Tensor, batchSize: 3), 0, "[[1, 2]]", other, "[[5, 6]]");

        if (sent)
        {
            Assert.Equal(3, batches.Count);
            Assert.Equal("""{"shape":[1,3],"values":[1,2,3]}""", Body(batches[1])["data"]!["tensor"]!.ToJsonString());
            Assert.All(batches, b => Assert.True(Assert.Single(b.Members).IsSent));
        }
        else
        {
            // Ragged or not numbers: the line cannot be a tensor at all, and fails alone.
            var batch = Assert.Single(batches);
            var tensor = Body(batch)["data"]!["tensor"]!;
            Assert.Equal("[2,2]", tensor["shape"]!.ToJsonString());
            Assert.Equal("[1,2,5,6]", tensor["values"]!.ToJsonString());
            Assert.StartsWith("wrong shape", batch.Members[1].EncodingError);
            Assert.True(batch.Members[0].IsSent);
            Assert.True(batch.Members[2].IsSent);
        }
    }

    [Fact]
    public void Micro_batch_whose_first_line_is_bad_starts_at_the_first_good_line()
    {
        var batch = EncodeMany(Encoder(DataType.Data, batchSize: 3), 30, "nope", "[[3, 4]]", "[[5, 6]]");

        var body = Body(batch);
        Assert.Equal("""{"ndarray":[[3,4],[5,6]]}""", body["data"]!.ToJsonString());
        AssertBatchTags(body["meta"]!["tags"], 31, "id1");
        Assert.StartsWith("invalid JSON", batch.Members[0].EncodingError);
    }

    [Fact]
    public void Micro_batch_with_every_line_bad_has_no_request()
    {
        var batch = EncodeMany(Encoder(DataType.Data, batchSize: 3), 0, "", "[[1,", "{}");

        Assert.False(batch.HasRequest);
        Assert.Null(batch.RequestBody);
        Assert.True(batch.IsSplit);
        Assert.Equal(3, batch.Members.Count);
        Assert.All(batch.Members, m => Assert.False(string.IsNullOrWhiteSpace(m.EncodingError)));
    }

    [Fact]
    public void Raw_micro_batch_sends_names_once_and_keeps_user_tags_out_of_the_request()
    {
        var batch = EncodeMany(
            Encoder(DataType.Raw, batchSize: 2),
            0,
            """{"data":{"names":["a","b"],"ndarray":[[1,2]]},"meta":{"tags":{"u":1}}}""",
            """{"data":{"names":["a","b"],"ndarray":[[3,4]]},"meta":{"tags":{"u":2,"v":"x"}}}""");

        var body = Body(batch);
        Assert.Equal("""{"names":["a","b"],"ndarray":[[1,2],[3,4]]}""", body["data"]!.ToJsonString());
        var tags = body["meta"]!["tags"]!;
        Assert.Equal(["batch_id", "batch_index", "batch_instance_id"], Keys(tags));
        AssertBatchTags(tags, 0, "id1");
        Assert.Equal("""{"u":1}""", batch.Members[0].UserTags!.ToJsonString());
        Assert.Equal("""{"u":2,"v":"x"}""", batch.Members[1].UserTags!.ToJsonString());
        Assert.DoesNotContain("\"u\"", batch.RequestBody);
    }

    [Fact]
    public void Raw_micro_batch_merges_tensors()
    {
        var batch = EncodeMany(
            Encoder(DataType.Raw, batchSize: 2),
            0,
            """{"data":{"tensor":{"shape":[1,2],"values":[1,2]}}}""",
            """{"data":{"tensor":{"shape":[2,2],"values":[3,4,5,6]}}}""");

        var tensor = Body(batch)["data"]!["tensor"]!;
        Assert.Equal("[3,2]", tensor["shape"]!.ToJsonString());
        Assert.Equal("[1,2,3,4,5,6]", tensor["values"]!.ToJsonString());
        Assert.Equal([1, 2], batch.Members.Select(m => m.Rows).ToArray());
    }

    [Theory]
    [InlineData("""{"data":{"names":["x","y"],"ndarray":[[5,6]]}}""")]
    [InlineData("""{"data":{"ndarray":[[5,6]]}}""")]
    [InlineData("""{"data":{"names":["a","b"],"tensor":{"shape":[1,2],"values":[5,6]}}}""")]
    [InlineData("""{"data":{"names":["a","b"],"ndarray":[[5,6,7]]}}""")]
    public void Raw_micro_batch_line_that_cannot_join_starts_the_next_request(string other)
    {
        var batches = EncodeGroup(
            Encoder(DataType.Raw, batchSize: 3),
            0,
            """{"data":{"names":["a","b"],"ndarray":[[1,2]]}}""",
            other,
            """{"data":{"names":["a","b"],"ndarray":[[3,4]]}}""");

        Assert.Equal(3, batches.Count);
        Assert.All(batches, b => Assert.True(Assert.Single(b.Members).IsSent));
        var data = JsonNode.Parse(other)!["data"]!.AsObject();
        Assert.Equal(data.ToJsonString(), Body(batches[1])["data"]!.ToJsonString());
        Assert.Equal("""{"names":["a","b"],"ndarray":[[3,4]]}""", Body(batches[2])["data"]!.ToJsonString());
        Assert.All(batches, b => Assert.True(b.IsSplit));
    }

    [Theory]
    [InlineData("""{"jsonData":{"a":1}}""")]
    [InlineData("""{"strData":"text"}""")]
    [InlineData("""{"data":{"tftensor":{"dtype":"DT_DOUBLE"}}}""")]
    [InlineData("""{"data":{"names":["a","b"],"tensor":{"shape":[1,3],"values":[5,6]}}}""")]
    [InlineData("""{"data":{"ndarray":[]}}""")]
    public void Raw_micro_batch_line_that_cannot_be_merged_travels_alone_as_at_batch_size_1(string other)
    {
        var batches = EncodeGroup(
            Encoder(DataType.Raw, batchSize: 3),
            0,
            """{"data":{"names":["a","b"],"ndarray":[[1,2]]}}""",
            other,
            """{"data":{"names":["a","b"],"ndarray":[[3,4]]}}""");

        Assert.Equal(3, batches.Count);
        var alone = batches[1];
        Assert.False(alone.IsSplit);
        var member = Assert.Single(alone.Members);
        Assert.True(member.IsSent);
        Assert.Equal("id2", member.InstanceId);
        var single = EncodeOne(Encoder(DataType.Raw), other, index: 1);
        Assert.Equal(single.RequestBody, alone.RequestBody!.Replace("id2", "id1", StringComparison.Ordinal));
    }

    [Fact]
    public void Raw_micro_batch_line_that_is_not_an_object_fails_alone()
    {
        var batch = EncodeMany(
            Encoder(DataType.Raw, batchSize: 3),
            0,
            """{"data":{"ndarray":[[1,2]]}}""",
            """[1,2]""",
            """{"data":{"ndarray":[[3,4]]}}""");

        Assert.Equal("""{"ndarray":[[1,2],[3,4]]}""", Body(batch)["data"]!.ToJsonString());
        Assert.StartsWith("wrong shape: a raw line must be a JSON object", batch.Members[1].EncodingError);
    }

    [Fact]
    public void Raw_micro_batch_line_with_different_names_keeps_its_user_tags()
    {
        var batches = EncodeGroup(
            Encoder(DataType.Raw, batchSize: 2),
            0,
            """{"data":{"names":["a"],"ndarray":[[1]]}}""",
            """{"data":{"names":["z"],"ndarray":[[2]]},"meta":{"tags":{"id":"line-1"}}}""");

        Assert.Equal(2, batches.Count);
        Assert.True(batches[1].Members[0].IsSent);
        Assert.Equal("""{"id":"line-1"}""", batches[1].Members[0].UserTags?.ToJsonString());
        Assert.DoesNotContain("line-1", batches[1].RequestBody);
    }

    [Fact]
    public void Raw_micro_batch_line_without_data_travels_alone_with_its_user_tags()
    {
        var batches = EncodeGroup(
            Encoder(DataType.Raw, batchSize: 2),
            0,
            """{"data":{"ndarray":[[1]]}}""",
            """{"jsonData":{"a":1},"meta":{"tags":{"id":"line-1"}}}""");

        Assert.Equal(2, batches.Count);
        Assert.True(batches[1].Members[0].IsSent);
        Assert.Equal("""{"id":"line-1"}""", batches[1].Members[0].UserTags?.ToJsonString());
    }

    [Fact]
    public void Raw_micro_batch_line_with_a_bad_meta_fails_alone_with_its_error()
    {
        var batch = EncodeMany(
            Encoder(DataType.Raw, batchSize: 2),
            0,
            """{"data":{"ndarray":[[1]]}}""",
            """{"data":{"ndarray":[[2]]},"meta":{"tags":"x"}}""");

        Assert.True(batch.Members[0].IsSent);
        Assert.StartsWith("wrong shape: \"meta.tags\" must be an object", batch.Members[1].EncodingError);
    }

    [Fact]
    public void Single_raw_line_with_a_duplicate_property_is_an_encoding_error()
    {
        var batch = EncodeOne(Encoder(DataType.Raw), """{"data":{"ndarray":[[1]]},"data":{"ndarray":[[2]]}}""");

        Assert.False(batch.HasRequest);
        Assert.StartsWith("invalid JSON", batch.Members[0].EncodingError);
    }

    [Fact]
    public void Raw_micro_batch_line_with_a_duplicate_property_fails_alone()
    {
        var encoder = Encoder(DataType.Raw, batchSize: 2);

        var batch = EncodeMany(
            encoder,
            0,
            """{"data":{"ndarray":[[1]]},"data":{"ndarray":[[2]]}}""",
            """{"data":{"ndarray":[[3]]}}""");

        Assert.StartsWith("invalid JSON", batch.Members[0].EncodingError);
        Assert.True(batch.Members[1].IsSent);
        Assert.Equal("""{"ndarray":[[3]]}""", Body(batch)["data"]!.ToJsonString());
    }
}
