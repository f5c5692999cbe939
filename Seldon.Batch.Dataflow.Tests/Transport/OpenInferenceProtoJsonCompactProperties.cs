using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The compact path from a V2 request's JSON to wire bytes (<c>OpenInferenceProtoJson.TryToWireCompact</c>) must
/// take the requests the V2 encoder writes and give for them the direct path's bytes (themselves the library's), and give
/// way (null) for anything else: every text it takes gets exactly <c>TryToWireDirect</c>'s bytes.</summary>
public sealed class OpenInferenceProtoJsonCompactProperties
{
    private static readonly string[] Datatypes =
        ["BOOL", "INT8", "UINT8", "INT16", "UINT16", "INT32", "UINT32", "INT64", "UINT64", "FP16", "FP32", "FP64", "BYTES"];

    private static readonly Gen<string> Whole = Gen.OneOf(
        Gen.Choose(-1000, 1000).Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.Elements("0", "-0", "127", "-128", "255", "32767", "-32768", "65535", "2147483647", "-2147483648"));

    private static readonly Gen<string> Real = Gen.OneOf(
        Whole,
        Gen.Choose(-100000, 100000).Select(n => Math.Round(n / 997.0, 6).ToString("r", CultureInfo.InvariantCulture)),
        Gen.Elements("0.5", "-1.25", "0.1", "999999999999999", "-0.00000000000001", "123456789.012345", "1e5", "2.5E-3",
            "1.7976931348623157e308", "0.12345678901234567", "65504", "1e-8", "3.4028235e38"));

    private static readonly Gen<string> Text = Gen.Elements("b", "batch-7", "", "a b", "x-item-0", "input-0", "~!#$%&'()*+/<=>?@[]^_`{|}");

    /// <summary>A value that fits the datatype, as JSON.</summary>
    private static Gen<string> Value(string datatype) => datatype switch
    {
        "BOOL" => Gen.Elements("true", "false"),
        "INT8" => Gen.Choose(-128, 127).Select(Str),
        "UINT8" => Gen.Choose(0, 255).Select(Str),
        "INT16" => Gen.Choose(-32768, 32767).Select(Str),
        "UINT16" => Gen.Choose(0, 65535).Select(Str),
        "INT32" => Whole,
        "UINT32" => Gen.OneOf(Gen.Choose(0, 100000).Select(Str), Gen.Elements("4294967295", "0")),
        "INT64" => Gen.OneOf(Whole, Gen.Elements("9223372036854775807", "-9223372036854775808")),
        "UINT64" => Gen.OneOf(Gen.Choose(0, 100000).Select(Str), Gen.Elements("18446744073709551615")),
        "BYTES" => Gen.Frequency((6, Text.Select(t => $"\"{t}\"")), (1, Gen.Constant("null"))),
        _ => Real,
    };

    private static string Str(int n) => n.ToString(CultureInfo.InvariantCulture);

    private static Gen<string> Rows(string datatype, int depth) => depth <= 1
        ? Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(Value(datatype), n)).Select(Join)
        : Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Frequency((1, Value(datatype)), (3, Rows(datatype, depth - 1))), n)).Select(Join);

    private static string Join(string[] items) => "[" + string.Join(",", items) + "]";

    private static readonly string[] Keys = ["content_type", "k", "", "batch", "x y"];

    /// <summary>Up to five parameters of distinct keys: booleans, numbers (whole or not) and strings.</summary>
    private static readonly Gen<string> ParameterObject =
        from count in Gen.Choose(0, Keys.Length)
        from values in Gen.ArrayOf(Gen.OneOf(Real, Gen.Elements("true", "false", "1.0", "9223372036854775808"), Text.Select(t => $"\"{t}\"")), Keys.Length)
        select "{" + string.Join(",", Keys.Take(count).Select((key, k) => $"\"{key}\":{values[k]}")) + "}";

    private static readonly Gen<string> Input =
        from name in Text
        from datatype in Gen.Elements(Datatypes)
        from shape in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.OneOf(Gen.Choose(-1, 300).Select(Str), Gen.Constant("9223372036854775807")), n))
        from parameters in Gen.Frequency((3, Gen.Constant("")), (1, ParameterObject.Select(p => $",\"parameters\":{p}")))
        from depth in Gen.Choose(1, 3)
        from data in Rows(datatype, depth)
        select $"{{\"name\":\"{name}\",\"shape\":{Join(shape)},\"datatype\":\"{datatype}\"{parameters},\"data\":{data}}}";

    /// <summary>Requests as the encoder writes them: an id, parameters or not, inputs.</summary>
    private static readonly Gen<string> Compact =
        from id in Text
        from parameters in Gen.Frequency((3, Gen.Constant("")), (1, ParameterObject.Select(p => $",\"parameters\":{p}")))
        from count in Gen.Choose(0, 3)
        from inputs in Gen.ArrayOf(Input, count)
        select $"{{\"id\":\"{id}\"{parameters},\"inputs\":[{string.Join(",", inputs)}]}}";

    private static readonly Gen<string> Odd = Gen.Elements(
        "1e21", "1E-7", "2.5e+3", "1234567890123456", "01", "-", "1.", ".5", "+1", "0x1", "1e400", "NaN", "--1", "1.2.3",
        "300", "-1", "70000", "1.0", "true", "null", "\"s\"", "[]", "{}", "99999999999999999999", "-0", "1e", "1e+");

    /// <summary>A compact request changed in one place: a byte dropped, doubled or put in, a value made odd, text cut.</summary>
    private static readonly Gen<string> Changed =
        from json in Compact
        from at in Gen.Choose(0, 10_000)
        from kind in Gen.Choose(0, 4)
        from odd in Odd
        from inserted in Gen.Elements(" ", ",", "]", "[", "}", "{", "\"", "\\", "é", "\t", "null", "true", "{}", ":", "\"outputs\":[]", ",\"id\":\"x\"")
        select Change(json, at % (json.Length + 1), kind, odd, inserted);

    private static string Change(string json, int at, int kind, string odd, string inserted)
    {
        switch (kind)
        {
            case 0 when at < json.Length: return json.Remove(at, 1);
            case 1 when at < json.Length: return json.Insert(at, json[at].ToString());
            case 2: return json.Insert(at, inserted);
            case 3:
                // A value (the first after a ',' or '[' at or past the place) replaced by an odd one.
                var start = json.IndexOfAny([',', '['], at);
                var end = start < 0 ? -1 : json.IndexOfAny([',', ']', '}'], start + 1);
                return end < 0 ? json[..at] : json[..(start + 1)] + odd + json[end..];
            default: return json[..at];
        }
    }

    private static void HoldsToDirect(string json, bool mustTake)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        var compact = OpenInferenceProtoJson.TryToWireCompact(utf8, "model", "1");
        if (mustTake)
        {
            Assert.NotNull(compact);
        }

        if (compact is not null)
        {
            var direct = OpenInferenceProtoJson.TryToWireDirect(utf8, "model", "1");
            Assert.NotNull(direct);
            Assert.Equal(Convert.ToHexString(direct), Convert.ToHexString(compact));
            Assert.Equal(OpenInferenceProtoJson.ToRequest(json, "model", "1").ToByteArray(), compact);
        }
    }

    [Fact]
    public void Compact_requests_are_taken_and_give_the_direct_path_s_bytes()
    {
        var property = Prop.ForAll(Compact.ToArbitrary(), json => HoldsToDirect(json, mustTake: true));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Changed_requests_give_the_direct_path_s_bytes_or_give_way()
    {
        var property = Prop.ForAll(Changed.ToArbitrary(), json => HoldsToDirect(json, mustTake: false));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true), property);
    }

    [Theory]
    [InlineData("{\"id\":\"a\",\"inputs\":[],\"outputs\":[{\"name\":\"o\"}]}")]
    [InlineData("{\"inputs\":[],\"id\":\"a\"}")]
    [InlineData("{\"id\":\"a\",\"inputs\":[]} ")]
    [InlineData("{\"id\": \"a\",\"inputs\":[]}")]
    [InlineData("{\"id\":\"\\u0041\",\"inputs\":[]}")]
    [InlineData("{\"id\":\"é\",\"inputs\":[]}")]
    [InlineData("{\"id\":\"a\",\"parameters\":{\"k\":1,\"k\":2},\"inputs\":[]}")]
    [InlineData("{\"id\":\"a\",\"parameters\":{\"k\":null},\"inputs\":[]}")]
    [InlineData("{\"id\":\"a\",\"parameters\":{\"k\":{}},\"inputs\":[]}")]
    [InlineData("{\"id\":\"a\",\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT8\",\"data\":[300]}]}")]
    [InlineData("{\"id\":\"a\",\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"INT32\",\"data\":[1.0]}]}")]
    [InlineData("{\"id\":\"a\",\"inputs\":[{\"name\":\"x\",\"shape\":[1.5],\"datatype\":\"FP64\",\"data\":[1]}]}")]
    [InlineData("{\"id\":\"a\",\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP64\",\"data\":[\"1\"]}]}")]
    [InlineData("{\"id\":\"a\",\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"BYTES\",\"data\":[1]}]}")]
    [InlineData("{\"id\":\"a\",\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP8\",\"data\":[1]}]}")]
    [InlineData("{\"id\":\"a\",\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP64\",\"data\":[1,]}]}")]
    [InlineData("{\"id\":\"a\",\"inputs\":[{\"shape\":[1],\"name\":\"x\",\"datatype\":\"FP64\",\"data\":[1]}]}")]
    public void Other_texts_give_way(string json) => Assert.Null(OpenInferenceProtoJson.TryToWireCompact(Encoding.UTF8.GetBytes(json), "m", "1"));

    [Fact]
    public void Deep_data_gives_way_where_the_direct_path_does_or_gives_its_bytes()
    {
        for (var depth = 1; depth < 24; depth++)
        {
            var json = "{\"id\":\"a\",\"inputs\":[{\"name\":\"x\",\"shape\":[1],\"datatype\":\"FP32\",\"data\":"
                + new string('[', depth) + "1" + new string(']', depth) + "}]}";
            var utf8 = Encoding.UTF8.GetBytes(json);
            var compact = OpenInferenceProtoJson.TryToWireCompact(utf8, "m", "");
            Assert.Equal(depth <= 16, compact is not null);
            if (compact is not null)
            {
                Assert.Equal(OpenInferenceProtoJson.TryToWireDirect(utf8, "m", ""), compact);
            }
        }
    }

    [Fact]
    public void Long_requests_give_the_direct_path_s_bytes()
    {
        // Lengths of 128 bytes and more take a longer varint, moved into place (WireWriter.End).
        var rows = Join(Enumerable.Range(0, 300).Select(r => Join([Str(r % 101), "-0.5", "41", "19"])).ToArray());
        var texts = Join(Enumerable.Range(0, 50).Select(r => $"\"{new string('t', r * 7)}\"").ToArray());
        HoldsToDirect(
            $"{{\"id\":\"{new string('i', 200)}\",\"parameters\":{{\"p\":\"{new string('p', 300)}\"}},\"inputs\":["
            + $"{{\"name\":\"a\",\"shape\":[300,4],\"datatype\":\"FP64\",\"data\":{rows}}},"
            + $"{{\"name\":\"b\",\"shape\":[50],\"datatype\":\"BYTES\",\"parameters\":{{\"content_type\":\"str\"}},\"data\":{texts}}}]}}",
            mustTake: true);
    }

    [Theory]
    [InlineData(DataType.Data, null, "[[41, 19.5, 50, 83]]")]
    [InlineData(DataType.Data, "FP32", "[[41, 19.5], [50, 83]]")]
    [InlineData(DataType.Data, "INT64", "[[41, 19], [50, 83]]")]
    [InlineData(DataType.Data, "BOOL", "[[true, false]]")]
    [InlineData(DataType.Str, null, "some text")]
    public void The_encoder_s_requests_take_the_compact_path(DataType dataType, string? declared, string line)
    {
        foreach (var batchSize in new[] { 1, 3 })
        {
            var n = 0;
            var encoder = new InferenceRequestEncoder(new OpenInferenceSettings(dataType, "run-1", batchSize, "input-0", declared), () => $"id{++n}");
            foreach (var batch in encoder.Encode([.. Enumerable.Range(0, 3).Select(k => new InputLine(k, line))]))
            {
                var compact = OpenInferenceProtoJson.TryToWireCompact(batch.RequestUtf8, "m", "");
                Assert.NotNull(compact);
                Assert.Equal(OpenInferenceProtoJson.TryToWireDirect(batch.RequestUtf8, "m", ""), compact);
            }
        }
    }
}
