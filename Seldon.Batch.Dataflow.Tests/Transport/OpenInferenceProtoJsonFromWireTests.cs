using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Inference.Grpc;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The V2 answer's direct path from wire bytes must write exactly what <see cref="OpenInferenceProtoJson.FromResponse"/>
/// writes for the parsed message, and leave to it every answer it does not handle.</summary>
public sealed class OpenInferenceProtoJsonFromWireTests
{
    private static readonly string[] Datatypes = ["FP64", "FP32", "FP16", "INT8", "INT16", "INT32", "INT64", "UINT8", "UINT16", "UINT32", "UINT64", "BOOL", "BYTES", "NOPE"];

    private static readonly Gen<string> Text = Gen.Elements("", "m", "output-0", "naïve", "日本", "emoji 😀", "quote\"d", "b32");

    // Raw contents of any length (a whole number of values or not), random bytes: NaN, infinities, negative zeros.
    private static readonly Gen<byte[]> RawBytes = Gen.Choose(0, 40).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), n));

    private static readonly Gen<ModelInferResponse.Types.InferOutputTensor> Output =
        from name in Text
        from datatype in Gen.Elements(Datatypes)
        from shape in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.OneOf(Gen.Choose(-2, 40).Select(v => (long)v), Gen.Elements(long.MinValue, long.MaxValue)), n))
        from typed in Gen.Frequency((6, Gen.Constant(0)), (1, Gen.Constant(1)), (1, Gen.Constant(2)))
        from parameter in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
        select Tensor(name, datatype, shape, typed, parameter);

    // Mostly what servers answer to a batch (raw contents, one per output, whole values); sometimes anything.
    internal static readonly Gen<ModelInferResponse> Answer =
        from model in Text
        from version in Gen.Elements("", "1", "v2")
        from id in Text
        from outputs in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Output, n))
        from whole in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from rawCount in Gen.Choose(0, 4)
        from raws in Gen.ArrayOf(RawBytes, rawCount)
        from parameter in Gen.Frequency((8, Gen.Constant(false)), (1, Gen.Constant(true)))
        select Response(model, version, id, outputs, whole ? WholeRaws(outputs) : raws, parameter);

    [Fact]
    public void Plain_answers_give_the_message_path_s_json_and_the_others_go_to_it()
    {
        var direct = 0;
        var property = Prop.ForAll(Answer.ToArbitrary(), response =>
        {
            var wire = response.ToByteArray();
            var expected = Outcome(() => OpenInferenceProtoJson.FromResponse(ModelInferResponse.Parser.ParseFrom(wire)));
            var json = OpenInferenceProtoJson.TryFromResponseDirect(wire);
            if (json is not null)
            {
                direct++;
                Assert.Equal(expected, json);
            }
            else
            {
                Assert.False(IsPlain(response), "a plain answer left the direct path");
            }

            Assert.Equal(expected, Outcome(() => OpenInferenceProtoJson.ReadAnswer(wire).ToJson()));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000).WithQuietOnSuccess(true), property);
        Assert.True(direct > 300, $"only {direct} of 1000 answers took the direct path");
    }

    [Fact]
    public void Unpacked_shapes_and_repeated_names_read_as_protobuf_reads_them()
    {
        // name "a", then name "b" (the last wins), datatype FP64, shape 2 and 1 as separate varints, then raw contents.
        byte[] output = [0x0A, 1, (byte)'a', 0x0A, 1, (byte)'b', 0x12, 4, .. "FP64"u8, 0x18, 2, 0x18, 1];
        byte[] wire = [0x0A, 1, (byte)'m', 0x2A, (byte)output.Length, .. output, 0x32, 16, .. new byte[16]];

        var expected = OpenInferenceProtoJson.FromResponse(ModelInferResponse.Parser.ParseFrom(wire));

        Assert.Equal("""{"model_name":"m","outputs":[{"name":"b","shape":[2,1],"datatype":"FP64","data":[0.0,0.0]}]}""", expected);
        Assert.Equal(expected, OpenInferenceProtoJson.TryFromResponseDirect(wire));
    }

    [Fact]
    public void Damaged_bytes_are_left_to_the_parser()
    {
        var wire = Response("m", "1", "r", [Tensor("o", "FP64", [2, 1], 0, false)], [new byte[16]], false).ToByteArray();

        Assert.Null(OpenInferenceProtoJson.TryFromResponseDirect(wire[..^3]));
        Assert.Null(OpenInferenceProtoJson.TryFromResponseDirect([0x0A, 2, 0xC3, 0x28])); // not UTF-8
        Assert.ThrowsAny<InvalidProtocolBufferException>(() => OpenInferenceProtoJson.ReadAnswer(wire[..^3]));
    }

    private static ModelInferResponse.Types.InferOutputTensor Tensor(string name, string datatype, long[] shape, int typed, bool parameter)
    {
        var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = name, Datatype = datatype, Shape = { shape } };
        if (typed == 1)
        {
            tensor.Contents = new InferTensorContents { Fp64Contents = { 1.5, -2 } };
        }
        else if (typed == 2)
        {
            tensor.Contents = new InferTensorContents(); // present and empty
        }

        if (parameter)
        {
            tensor.Parameters["p"] = new InferParameter { Int64Param = 3 };
        }

        return tensor;
    }

    private static ModelInferResponse Response(
        string model, string version, string id, ModelInferResponse.Types.InferOutputTensor[] outputs, byte[][] raws, bool parameter)
    {
        var response = new ModelInferResponse { ModelName = model, ModelVersion = version, Id = id, Outputs = { outputs } };
        response.RawOutputContents.AddRange(raws.Select(ByteString.CopyFrom));
        if (parameter)
        {
            response.Parameters["q"] = new InferParameter { StringParam = "x" };
        }

        return response;
    }

    // Raw contents of whole values for every output (BYTES as length-prefixed elements, unknown datatypes as 8 bytes).
    private static byte[][] WholeRaws(ModelInferResponse.Types.InferOutputTensor[] outputs) => outputs.Select(o => o.Datatype switch
    {
        "BYTES" => (byte[])[2, 0, 0, 0, (byte)'h', (byte)'i'],
        "BOOL" or "INT8" or "UINT8" => [1, 0, 7],
        "INT16" or "UINT16" or "FP16" => [1, 2, 3, 4],
        "INT32" or "UINT32" or "FP32" => [0, 0, 0xC0, 0x7F, 0, 0, 0x80, 0xBF],
        _ => BitConverter.GetBytes(-0.0).Concat(BitConverter.GetBytes(double.PositiveInfinity)).Concat(BitConverter.GetBytes(3.25)).ToArray(),
    }).ToArray();

    // What the direct path must take: no parameters, no typed contents, no raw BYTES, raw contents of whole known values.
    private static bool IsPlain(ModelInferResponse response) =>
        response.Parameters.Count == 0
        && response.Outputs.All(o => o.Parameters.Count == 0 && (o.Contents is null || o.Contents.CalculateSize() == 0))
        && response.Outputs.Take(response.RawOutputContents.Count).Select((o, i) => (o.Datatype, Raw: response.RawOutputContents[i].Length))
            .All(x => x.Datatype is not ("BYTES" or "NOPE") && x.Raw % Size(x.Datatype) == 0);

    private static int Size(string datatype) => datatype switch
    {
        "BOOL" or "INT8" or "UINT8" => 1,
        "INT16" or "UINT16" or "FP16" => 2,
        "INT32" or "UINT32" or "FP32" => 4,
        _ => 8,
    };

    // The JSON, or the exception's type and message.
    private static string Outcome(Func<string> read)
    {
        try
        {
            return read();
        }
        catch (Exception ex)
        {
            return $"{ex.GetType().Name}: {ex.Message}";
        }
    }
}
