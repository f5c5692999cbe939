using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Inference.Grpc;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

public sealed class OpenInferenceProtoJsonTests
{
    [Fact]
    public void Numbers_travel_raw_little_endian_and_texts_as_bytes_contents()
    {
        var json = """{"id":"r1","parameters":{"flag":true,"n":3,"f":0.5,"s":"x"},"inputs":[{"name":"a","shape":[2],"datatype":"FP32","data":[1.5,-2]},{"name":"t","shape":[1],"datatype":"BYTES","data":["héllo"]},{"name":"i","shape":[2],"datatype":"INT16","data":[[7],[-1]]}],"outputs":[{"name":"o"}]}""";

        var request = OpenInferenceProtoJson.ToRequest(json, "m", "2");

        Assert.Equal(("m", "2", "r1"), (request.ModelName, request.ModelVersion, request.Id));
        Assert.True(request.Parameters["flag"].BoolParam);
        Assert.Equal(3, request.Parameters["n"].Int64Param);
        Assert.Equal(0.5, request.Parameters["f"].DoubleParam);
        Assert.Equal("x", request.Parameters["s"].StringParam);
        Assert.Equal(2, request.RawInputContents.Count);
        var floats = request.RawInputContents[0].Span;
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(floats));
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(floats[4..]));
        Assert.Equal(new byte[] { 7, 0, 0xFF, 0xFF }, request.RawInputContents[1].ToByteArray());
        Assert.Equal("héllo", request.Inputs[1].Contents.BytesContents[0].ToStringUtf8());
        Assert.Equal("o", request.Outputs[0].Name);
    }

    [Fact]
    public void Raw_and_typed_answers_read_the_same()
    {
        var typed = new ModelInferResponse { ModelName = "m", Id = "r" };
        typed.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor
        {
            Name = "y",
            Datatype = "FP64",
            Shape = { 2 },
            Contents = new InferTensorContents { Fp64Contents = { 1.25, double.NaN } },
        });
        typed.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor
        {
            Name = "s",
            Datatype = "BYTES",
            Shape = { 1 },
            Contents = new InferTensorContents { BytesContents = { ByteString.CopyFromUtf8("ÄB") } },
        });
        var raw = new ModelInferResponse { ModelName = "m", Id = "r" };
        raw.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = "y", Datatype = "FP64", Shape = { 2 } });
        raw.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = "s", Datatype = "BYTES", Shape = { 1 } });
        var doubles = new byte[16];
        BinaryPrimitives.WriteDoubleLittleEndian(doubles, 1.25);
        BinaryPrimitives.WriteDoubleLittleEndian(doubles.AsSpan(8), double.NaN);
        raw.RawOutputContents.Add(ByteString.CopyFrom(doubles));
        raw.RawOutputContents.Add(ByteString.CopyFrom([3, 0, 0, 0, .. "ÄB"u8]));

        var fromTyped = OpenInferenceProtoJson.FromResponse(typed);

        Assert.Equal(
            """{"model_name":"m","id":"r","outputs":[{"name":"y","shape":[2],"datatype":"FP64","data":[1.25,null]},{"name":"s","shape":[1],"datatype":"BYTES","data":["ÄB"]}]}""",
            fromTyped);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(fromTyped), JsonNode.Parse(OpenInferenceProtoJson.FromResponse(raw))));
    }

    [Fact]
    public void Answer_parameters_are_written_as_plain_json_values_a_double_as_python_writes_it()
    {
        var answer = new ModelInferResponse { ModelName = "m" };
        answer.Parameters["b"] = new InferParameter { BoolParam = true };
        answer.Parameters["i"] = new InferParameter { Int64Param = -3 };
        answer.Parameters["u"] = new InferParameter { Uint64Param = ulong.MaxValue };
        answer.Parameters["d"] = new InferParameter { DoubleParam = 3 };
        answer.Parameters["s"] = new InferParameter { StringParam = "x" };
        answer.Parameters["unset"] = new InferParameter();
        answer.Outputs.Add(new ModelInferResponse.Types.InferOutputTensor { Name = "y", Datatype = "BOOL", Parameters = { ["e"] = new InferParameter { DoubleParam = 1e-7 } } });

        Assert.Equal(
            """{"model_name":"m","parameters":{"b":true,"i":-3,"u":18446744073709551615,"d":3.0,"s":"x","unset":""},"outputs":[{"name":"y","shape":[],"datatype":"BOOL","parameters":{"e":1e-07},"data":[]}]}""",
            OpenInferenceProtoJson.FromResponse(answer));
    }

    [Fact]
    public void An_answer_parameter_that_is_not_a_finite_number_cannot_be_written()
    {
        var answer = new ModelInferResponse { ModelName = "m" };
        answer.Parameters["d"] = new InferParameter { DoubleParam = double.NaN };

        Assert.Throws<ArgumentException>(() => OpenInferenceProtoJson.FromResponse(answer));
    }

    [Fact]
    public void A_value_that_does_not_fit_its_datatype_cannot_be_carried()
    {
        Assert.ThrowsAny<Exception>(() => OpenInferenceProtoJson.ToRequest(
            """{"inputs":[{"name":"a","shape":[1],"datatype":"INT8","data":[1000]}]}""", "m", ""));
    }
}
