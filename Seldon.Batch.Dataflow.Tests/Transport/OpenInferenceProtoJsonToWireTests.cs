using System.Globalization;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The direct path from an InferenceRequest's text to wire bytes against the message path it shortcuts
/// (<see cref="OpenInferenceProtoJson.ToRequest"/> serialized by Google.Protobuf): the same bytes for generated requests,
/// and the message path's result or error for what the direct path leaves to it.</summary>
public sealed class OpenInferenceProtoJsonToWireTests
{
    private static readonly Gen<string> Text = Gen.Elements("a", "", "input-0", "naïve", "日本", "quote\"d", "back\\slash", "tab\t", "emoji 😀", "\u2028", "\u0001")
        .Select(t => JsonSerializer.Serialize(t));

    private static readonly Gen<string> ParameterValue = Gen.OneOf(
        Gen.Elements("true", "false", "0", "-1", "42", "9223372036854775807", "-9223372036854775808", "0.5", "-1.25e-7", "1e300",
            "18446744073709551615", "3.0"),
        Text);

    private static readonly Gen<string> Parameters =
        Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Elements("content_type", "batch_id", "k", "é", "x\"y", ""), n))
            .SelectMany(keys => Gen.ArrayOf(ParameterValue, keys.Length).Select(values =>
                "{" + string.Join(",", keys.Distinct().Zip(values, (k, v) => JsonSerializer.Serialize(k) + ":" + v)) + "}"));

    private static readonly string[] Datatypes =
        ["BOOL", "INT8", "UINT8", "INT16", "UINT16", "INT32", "UINT32", "INT64", "UINT64", "FP16", "FP32", "FP64", "BYTES"];

    private static Gen<string> Value(string datatype) => datatype switch
    {
        "BOOL" => Gen.Elements("true", "false"),
        "INT8" => Gen.Choose(-128, 127).Select(Format),
        "UINT8" => Gen.Choose(0, 255).Select(Format),
        "INT16" => Gen.Choose(short.MinValue, short.MaxValue).Select(Format),
        "UINT16" => Gen.Choose(0, ushort.MaxValue).Select(Format),
        "INT32" => Gen.OneOf(Gen.Choose(-1000, 1000).Select(Format), Gen.Elements("2147483647", "-2147483648")),
        "UINT32" => Gen.OneOf(Gen.Choose(0, 1000).Select(Format), Gen.Elements("4294967295")),
        "INT64" => Gen.OneOf(Gen.Choose(-1000, 1000).Select(Format), Gen.Elements("9223372036854775807", "-9223372036854775808")),
        "UINT64" => Gen.OneOf(Gen.Choose(0, 1000).Select(Format), Gen.Elements("18446744073709551615")),
        "BYTES" => Gen.Frequency((6, Text), (1, Gen.Constant("null"))),
        _ => Gen.OneOf(
            Gen.Elements("0", "-0", "0.1", "1.5", "-2", "65504", "65520", "3.4028235e38", "1e39", "1e-45", "5e-324", "1e300", "123456789012345678"),
            Gen.Choose(-100000, 100000).Select(n => (n / 997.0).ToString("r", CultureInfo.InvariantCulture))),
    };

    private static string Format(int n) => n.ToString(CultureInfo.InvariantCulture);

    /// <summary>Values flat, or in rows of two as the encoder writes a batch of lines.</summary>
    private static Gen<string> Data(string datatype) =>
        from count in Gen.Choose(0, 8)
        from values in Gen.ArrayOf(Value(datatype), count)
        from nested in Gen.Elements(false, true)
        select nested && count % 2 == 0
            ? "[" + string.Join(",", values.Chunk(2).Select(row => "[" + string.Join(",", row) + "]")) + "]"
            : "[" + string.Join(",", values) + "]";

    private static readonly Gen<string> Input =
        from datatype in Gen.Elements(Datatypes)
        from name in Text
        from shape in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Elements("0", "1", "2", "32", "-1", "300"), n))
        from data in Data(datatype)
        from parameters in Gen.OneOf(Gen.Constant(""), Parameters.Select(p => ",\"parameters\":" + p))
        from properties in Gen.Shuffle(new[]
        {
            "\"name\":" + name, "\"shape\":[" + string.Join(",", shape) + "]", "\"datatype\":\"" + datatype + "\"", "\"data\":" + data,
        })
        select "{" + string.Join(",", properties) + parameters + "}";

    private static readonly Gen<string> Output =
        from name in Text
        from parameters in Gen.OneOf(Gen.Constant(""), Parameters.Select(p => ",\"parameters\":" + p))
        select "{\"name\":" + name + parameters + "}";

    internal static readonly Gen<string> Request =
        from id in Gen.OneOf(Gen.Constant(""), Text.Select(t => "\"id\":" + t))
        from parameters in Gen.OneOf(Gen.Constant(""), Parameters.Select(p => "\"parameters\":" + p))
        from inputs in Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(Input, n))
        from outputs in Gen.OneOf(Gen.Constant(""), Gen.Choose(0, 2).SelectMany(n => Gen.ArrayOf(Output, n)).Select(o => "\"outputs\":[" + string.Join(",", o) + "]"))
        from order in Gen.Shuffle(new[] { id, parameters, "\"inputs\":[" + string.Join(",", inputs) + "]", outputs })
        select "{" + string.Join(",", order.Where(p => p.Length > 0)) + "}";

    [Fact]
    public void Generated_requests_give_the_message_path_s_bytes()
    {
        var property = Prop.ForAll(Request.ToArbitrary(), Gen.Elements("", "model", "日本").ToArbitrary(), (json, model) =>
        {
            var expected = OpenInferenceProtoJson.ToRequest(json, model, model.Length > 0 ? "2" : "").ToByteArray();
            var direct = OpenInferenceProtoJson.TryToWireDirect(json, model, model.Length > 0 ? "2" : "");
            Assert.NotNull(direct);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(direct));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000).WithQuietOnSuccess(true), property);
    }

    [Theory]
    [InlineData(32, 4, "FP64")]
    [InlineData(32, 4, "FP32")]
    [InlineData(1000, 3, "INT64")]
    [InlineData(40, 2, "BYTES")]
    public void Long_tensors_give_the_message_path_s_bytes(int rows, int columns, string datatype)
    {
        // Contents of 128 bytes and more take a longer length varint, in the tensor and in raw_input_contents.
        var cell = datatype == "BYTES" ? JsonSerializer.Serialize(new string('x', 20)) : "1.5";
        if (datatype == "INT64")
        {
            cell = "-7";
        }

        var data = "[" + string.Join(",", Enumerable.Repeat("[" + string.Join(",", Enumerable.Repeat(cell, columns)) + "]", rows)) + "]";
        var json = $"{{\"id\":\"{new string('i', 200)}\",\"parameters\":{{\"batch\":\"{new string('b', 150)}\"}},"
            + $"\"inputs\":[{{\"name\":\"x\",\"shape\":[{rows},{columns}],\"datatype\":\"{datatype}\",\"data\":{data}}},"
            + $"{{\"name\":\"y\",\"shape\":[1],\"datatype\":\"FP64\",\"data\":[0.25]}}]}}";

        Assert.Equal(
            Convert.ToHexString(OpenInferenceProtoJson.ToRequest(json, "m", "1").ToByteArray()),
            Convert.ToHexString(OpenInferenceProtoJson.TryToWireDirect(json, "m", "1")!));
    }

    public static TheoryData<string> Unusual => new(
        "{\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP64\",\"data\":[1]}],\"extra\":1}",
        "{\"id\":7,\"inputs\":[]}",
        "{\"parameters\":{\"o\":{\"a\":1},\"n\":null,\"l\":[1]},\"inputs\":[]}",
        "{\"parameters\":{\"a\":1,\"a\":2},\"inputs\":[]}",
        "{\"parameters\":[1],\"inputs\":[]}",
        "{\"inputs\":{\"a\":1}}",
        "{\"inputs\":[],\"inputs\":[]}",
        "{\"inputs\":[{\"name\":{\"a\":1,\"a\":2},\"datatype\":\"FP64\",\"data\":[1]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP64\",\"data\":[1],\"data\":[2]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP64\",\"data\":7}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP64\",\"data\":[\"1\"]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT8\",\"data\":[128]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT32\",\"data\":[1.5]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BOOL\",\"data\":[1]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"data\":[1]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP65\",\"data\":[1]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP64\",\"data\":[{\"a\":1}]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"shape\":[1.5],\"datatype\":\"FP64\",\"data\":[1]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP64\",\"data\":[1e400]}]}",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"BYTES\",\"data\":[\"\\ud800\"]}]}",
        "{\"inputs\":[7]}",
        "{\"outputs\":[{\"name\":\"o\",\"other\":1}]}",
        "{\"inputs\":[]} trailing",
        "[1]",
        "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP64\",\"data\":" + new string('[', 300) + "1" + new string(']', 300) + "}]}");

    [Theory]
    [MemberData(nameof(Unusual))]
    public void Unusual_requests_get_the_message_path_s_result_or_error(string json)
    {
        var direct = OpenInferenceProtoJson.TryToWireDirect(json, "m", "");
        byte[]? expected = null;
        Exception? error = null;
        try
        {
            expected = OpenInferenceProtoJson.ToRequest(json, "m", "").ToByteArray();
        }
        catch (Exception ex)
        {
            error = ex;
        }

        if (error is null)
        {
            // Declined, or (a number JSON cannot hold as a double, read as infinity by both) the same bytes.
            Assert.True(direct is null || direct.AsSpan().SequenceEqual(expected), $"direct {Convert.ToHexString(direct ?? [])}");
            Assert.Equal(expected, OpenInferenceProtoJson.ToWire(json, "m", ""));
        }
        else
        {
            Assert.Null(direct);
            var thrown = Assert.ThrowsAny<Exception>(() => OpenInferenceProtoJson.ToWire(json, "m", ""));
            Assert.Equal((error.GetType(), error.Message), (thrown.GetType(), thrown.Message));
        }
    }
}
