using System.Buffers;
using System.Text;
using System.Text.Json;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>Edge cases of the demo model, called directly (no sockets).</summary>
public sealed class DemoModelTests
{
    private readonly DemoModel _model = new();

    [Fact]
    public void FloatVal_is_doubled_at_float_precision()
    {
        string answer = Predict("""{"data":{"tftensor":{"dtype":"DT_FLOAT","tensorShape":{"dim":[{"size":"2"}]},"floatVal":[0.1,1]}}}""");

        Assert.Contains("\"floatVal\":[0.2,2.0]", answer);
    }

    [Theory]
    [InlineData("[[1, 2], [3, 4]]", "[[2,4],[6,8]]")]
    [InlineData("[[1.5, 2], [3, 4]]", "[[3.0,4.0],[6.0,8.0]]")]
    [InlineData("[[1, 2], [3, 4e0]]", "[[2.0,4.0],[6.0,8.0]]")]
    [InlineData("[[0.05, 5e15, 1e-5]]", "[[0.1,1e+16,2e-05]]")]
    public void Ndarray_is_one_numpy_array_of_ints_or_of_floats(string ndarray, string doubled)
    {
        // As the real server's numpy: one float makes the whole array float, written by Python's json (4.0, 1e+16).
        string answer = Predict("""{"data":{"ndarray":""" + ndarray + "}}");

        Assert.Contains($"\"ndarray\":{doubled}", answer);
    }

    [Fact]
    public void IntVal_is_doubled_as_integers()
    {
        string answer = Predict("""{"data":{"tftensor":{"dtype":"DT_INT32","tensor_shape":{"dim":[{"size":2}]},"int_val":[3,-4]}}}""");

        Assert.Contains("\"intVal\":[6,-8]", answer);
        Assert.Contains("\"tensorShape\":{\"dim\":[{\"size\":\"2\"}]}", answer);
    }

    [Theory]
    [InlineData("""{"data":{"tftensor":{"dtype":"DT_INT32","tensorShape":{"dim":[{"size":"1"}]},"intVal":[2000000000]}}}""", "overflows int32")]
    [InlineData("""{"data":{"tftensor":{"dtype":"DT_STRING","tensorShape":{"dim":[{"size":"1"}]},"stringVal":["YQ=="]}}}""", "holds stringVal")]
    [InlineData("""{"data":{"tftensor":{"dtype":"DT_DOUBLE","tensorShape":{"dim":[{"size":"1"}]},"tensorContent":"AAAAAAAA8D8="}}}""", "tensorContent")]
    [InlineData("""{"data":{"ndarray":[[1e308,2e308]]}}""", "too large to double")]
    [InlineData("""{"data":{"ndarray":[[1,[null]]]}}""", "ndarray[0][1][0] is null")]
    public void Valid_messages_the_model_cannot_compute_are_model_failures(string request, string expected)
    {
        var error = Assert.Throws<ModelFailureException>(() => Predict(request));

        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("""{"data":{"tensor":{"shape":[2],"values":[1,"x"]}}}""", "values[1] must be a number")]
    [InlineData("""{"data":{"tensor":{"shape":[-1],"values":[]}}}""", "shape[0] must be a non-negative")]
    [InlineData("""{"data":{"tftensor":{"dtype":"DT_NOPE","doubleVal":[1]}}}""", "not a known TensorFlow DataType")]
    [InlineData("""{"data":{"tftensor":{"doubleVal":[1],"floatVal":[2]}}}""", "both doubleVal and floatVal")]
    [InlineData("""{"data":{"tftensor":{"tensorShape":{"dim":[{"size":"2"}]},"doubleVal":[1]}}}""", "has 1 values but its tensorShape holds 2")]
    [InlineData("""{"data":{"ndarray":[1],"tensor":{"shape":[1],"values":[1]}}}""", "both ndarray and tensor")]
    [InlineData("""{"data":{"ndarray":[1]},"meta":{"colour":"red"}}""", "meta has an unknown field 'colour'")]
    [InlineData("""{"strData":5}""", "strData must be a string")]
    public void Malformed_messages_are_bad_data(string request, string expected)
    {
        var error = Assert.Throws<BadDataException>(() => Predict(request));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Tensor_doubling_past_the_double_range_writes_proto_json_infinity()
    {
        string answer = Predict("""{"data":{"tensor":{"shape":[1],"values":[1e308]}}}""");

        Assert.Contains("\"values\":[\"Infinity\"]", answer);
    }

    [Fact]
    public void JsonData_null_is_a_value_and_is_wrapped()
    {
        string answer = Predict("""{"jsonData":null}""");

        Assert.Equal("""{"jsonData":{"model":"demo","input":null},"meta":{"tags":{"model":"demo"}}}""", answer);
    }

    [Fact]
    public void CustomData_is_echoed()
    {
        string answer = Predict("""{"customData":{"@type":"type.googleapis.com/google.protobuf.StringValue","value":"x"}}""");

        Assert.StartsWith("""{"customData":{"@type":"type.googleapis.com/google.protobuf.StringValue","value":"x"},""", answer);
    }

    [Fact]
    public void Feedback_reward_is_a_protobuf_float_and_replaces_a_reward_tag()
    {
        string answer = Feedback("""{"request":{"meta":{"puid":"p","tags":{"reward":"old","i":2}}},"reward":0.1}""");

        Assert.Equal(
            """{"data":{"names":[],"ndarray":[]},"meta":{"puid":"p","tags":{"i":2.0,"model":"demo","reward":0.1}}}""",
            answer);
    }

    [Fact]
    public void Feedback_with_an_unknown_field_is_bad_data()
    {
        var error = Assert.Throws<BadDataException>(() => Feedback("""{"reward":1,"score":2}"""));

        Assert.Contains("unknown field 'score'", error.Message);
    }

    private string Predict(string request) => Run(request, _model.Predict);

    private string Feedback(string request) => Run(request, _model.SendFeedback);

    private static string Run(string request, Action<JsonElement, Utf8JsonWriter> call)
    {
        using JsonDocument document = JsonDocument.Parse(request);
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            call(document.RootElement, writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
