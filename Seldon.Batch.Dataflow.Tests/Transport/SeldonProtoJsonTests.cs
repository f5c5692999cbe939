using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Seldon.Batch.Dataflow;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The gRPC edge's direct path for ndarray and tensor data must give exactly what Google.Protobuf's parser
/// and formatter give: the same message from the same text, the same text (token for token, numbers byte for byte)
/// from the same message, and the same failures.</summary>
public sealed class SeldonProtoJsonTests
{
    private static readonly Gen<string> Number = Gen.OneOf(
        Gen.Choose(-1000, 1000).Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.Elements("0", "-0", "0.5", "-1.25", "3.141592653589793", "1e21", "1E-7", "2.5e+3", "123456789012345678", "0.1", "1e308", "-4.9e-324"),
        Gen.Choose(-100000, 100000).Select(n => (n / 997.0).ToString("r", CultureInfo.InvariantCulture)));

    private static readonly Gen<string> Text = Gen.Elements("a", "", "t:0", "naïve", "日本", "quote\"d", "back\\slash", "tab\t", "emoji 😀", "<&>", "\u2028", "NaN", "Infinity")
        .Select(s => JsonSerializer.Serialize(s));

    private static readonly Gen<string> Scalar = Gen.Frequency(
        (8, Number),
        (2, Text),
        (1, Gen.Elements("true", "false", "null")));

    private static Gen<string> Array(int size) => size <= 0
        ? Gen.ArrayOf(Scalar, 0).Select(Join)
        : Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(Gen.Frequency((3, Scalar), (1, Array(size / 2))), n)).Select(Join);

    private static string Join(string[] items) => "[" + string.Join(", ", items) + "]";

    private static readonly Gen<string> Names = Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Text, n)).Select(Join);

    private static readonly Gen<string> Meta = Gen.Elements(
        "{}",
        "{\"puid\": \"abc\"}",
        "{\"tags\": {\"batch_id\": \"b\", \"batch_index\": 3, \"batch_instance_id\": \"x-item-0\"}}",
        "{\"tags\": {\"user\": {\"nested\": [1, \"two\", null], \"empty\": {}}, \"flag\": true, \"list\": []}, \"puid\": \"\"}");

    private static readonly Gen<string> Tensor =
        from shape in Gen.Choose(0, 3).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 5).Select(i => i.ToString(CultureInfo.InvariantCulture)), n))
        from values in Gen.Choose(0, 6).SelectMany(n => Gen.ArrayOf(Number, n))
        select $"{{\"shape\": {Join(shape)}, \"values\": {Join(values)}}}";

    /// <summary>SeldonMessage texts of the shape the direct path handles.</summary>
    internal static readonly Gen<string> PlainMessage =
        from names in Gen.OneOf(Gen.Constant(""), Names.Select(n => $"\"names\": {n}, "))
        from payload in Gen.OneOf(Gen.Sized(s => Array(Math.Min(s, 8))).Select(a => $"\"ndarray\": {a}"), Tensor.Select(t => $"\"tensor\": {t}"))
        from meta in Gen.OneOf(Gen.Constant(""), Meta.Select(m => $", \"meta\": {m}"))
        select $"{{\"data\": {{{names}{payload}}}{meta}}}";

    /// <summary>Texts the direct path must hand to the library: the library's answer, success or failure, is the answer.</summary>
    internal static readonly Gen<string> OtherMessage = Gen.Elements(
        "{\"data\": {\"ndarray\": [[{\"a\": 1}]]}}",
        "{\"data\": {\"tensor\": {\"shape\": [1], \"values\": [\"NaN\"]}}}",
        "{\"data\": {\"tensor\": {\"shape\": [\"2\"], \"values\": [1, 2]}}}",
        "{\"data\": {\"tensor\": {\"shape\": [1.5], \"values\": [1]}}}",
        "{\"data\": {\"tensor\": {\"shape\": [1], \"values\": [1], \"extra\": 1}}}",
        "{\"data\": {\"ndarray\": [[1]], \"tensor\": {\"values\": [1]}}}",
        "{\"data\": {\"names\": [1], \"ndarray\": [[1]]}}",
        "{\"data\": {\"ndarray\": 5}}",
        "{\"data\": {\"ndarray\": [[1e400]]}}",
        "{\"data\": {\"ndarray\": [[\"\\ud800\"]]}}",
        "{\"strData\": \"hello\"}",
        "{\"jsonData\": {\"a\": [1, 2]}}",
        "{\"binData\": \"AAEC\"}",
        "{\"data\": {\"ndarray\": [[1]]}, \"status\": {\"code\": 200}}",
        "{\"data\": {\"ndarray\": [[1]]}, \"unknown\": 1}",
        "{\"data\": {\"ndarray\": [[1]]}, \"meta\": {\"tags\": 5}}",
        "{\"data\": {\"ndarray\": [[1]]}, \"meta\": {\"unknown\": 1}}",
        "{\"data\": {\"ndarray\": [[1]]}, \"meta\": {\"tags\": {\"a\": 1}, \"routing\": {\"a\": 1}}}",
        "{\"data\": {\"ndarray\": [[1]]}, \"meta\": {\"tags\": {\"\": 1}}}",
        "{\"data\": {\"ndarray\": [[1]]}, \"meta\": {\"requestPath\": {\"model\": \"image:1\"}}}",
        "{\"data\": {\"ndarray\": [[1]]}} trailing",
        "[1, 2]",
        "{\"data\": {\"ndarray\": " + new string('[', 40) + "1" + new string(']', 40) + "}}");

    [Fact]
    public void Plain_ndarray_and_tensor_messages_give_the_library_s_bytes()
    {
        var property = Prop.ForAll(PlainMessage.ToArbitrary(), json =>
        {
            var expected = SeldonProtoJson.ParseWithLibrary(json).ToByteArray();
            var direct = SeldonProtoJson.TryToWireDirect(json);
            Assert.NotNull(direct);
            Assert.Equal(Convert.ToHexString(expected), Convert.ToHexString(direct));
            Assert.Equal(expected, SeldonProtoJson.ToWire(json));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true), property);
    }

    [Theory]
    [InlineData(32, 4, 0)]
    [InlineData(1, 300, 0)]
    [InlineData(3, 2, 200)]
    [InlineData(2000, 1, 0)]
    public void Long_fields_and_text_order_give_the_library_s_bytes(int rows, int columns, int stringLength)
    {
        // Lengths of 128 bytes and more take a longer varint; meta before data and names after the payload are
        // written in field order, as the library writes them.
        var cell = stringLength > 0 ? JsonSerializer.Serialize(new string('x', stringLength)) : "1.5";
        var ndarray = Join(Enumerable.Range(0, rows).Select(_ => Join(Enumerable.Repeat(cell, columns).ToArray())).ToArray());
        var meta = "{\"tags\": {\"batch_id\": \"" + new string('b', 150) + "\", \"batch_index\": 7}}";
        foreach (var json in new[]
        {
            $"{{\"data\": {{\"names\": [\"a\"], \"ndarray\": {ndarray}}}, \"meta\": {meta}}}",
            $"{{\"meta\": {meta}, \"data\": {{\"ndarray\": {ndarray}}}}}",
            $"{{\"data\": {{\"ndarray\": {ndarray}, \"names\": [\"a\"]}}}}",
        })
        {
            Assert.Equal(Convert.ToHexString(SeldonProtoJson.ParseWithLibrary(json).ToByteArray()), Convert.ToHexString(SeldonProtoJson.ToWire(json)));
        }

        Assert.NotNull(SeldonProtoJson.TryToWireDirect($"{{\"meta\": {meta}, \"data\": {{\"ndarray\": {ndarray}}}}}"));
    }

    [Fact]
    public void Plain_answers_give_the_library_s_text()
    {
        var property = Prop.ForAll(PlainMessage.ToArbitrary(), Gen.Elements(false, true).ToArbitrary(), (json, withStatus) =>
        {
            var message = SeldonProtoJson.ParseWithLibrary(json);
            if (withStatus)
            {
                message.Status = new Status { Code = 200, Info = "ok \"quoted\"", Status_ = Status.Types.StatusFlag.Success };
            }

            var wire = message.ToByteArray();
            var direct = SeldonProtoJson.TryFromWireDirect(wire);
            Assert.NotNull(direct);
            AssertSameTokens(SeldonProtoJson.FormatWithLibrary(message), direct);
            AssertSameTokens(SeldonProtoJson.FormatWithLibrary(message), SeldonProtoJson.FromWire(wire));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Every_other_message_gets_the_library_s_bytes_or_the_library_s_error()
    {
        foreach (var json in OtherSamples())
        {
            var expected = Outcome(() => SeldonProtoJson.ParseWithLibrary(json).ToByteArray());
            var actual = Outcome(() => SeldonProtoJson.ToWire(json));
            Assert.True(expected == actual, $"{json}: library {expected}, ours {actual}");
        }
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Numbers_json_cannot_hold_go_to_the_library(double number)
    {
        var ndarray = new SeldonMessage { Data = new DefaultData { Ndarray = new ListValue { Values = { Value.ForNumber(1), Value.ForNumber(number) } } } };
        var tensor = new SeldonMessage { Data = new DefaultData { Tensor = new Seldon.Protos.Tensor { Shape = { 2 }, Values = { 1, number } } } };

        Assert.Null(SeldonProtoJson.TryFromWireDirect(ndarray.ToByteArray()));
        Assert.Null(SeldonProtoJson.TryFromWireDirect(tensor.ToByteArray()));
        Assert.Equal(SeldonProtoJson.FormatWithLibrary(tensor), SeldonProtoJson.FromWire(tensor.ToByteArray()));
        Assert.Equal(SeldonProtoJson.FormatWithLibrary(ndarray), SeldonProtoJson.FromWire(ndarray.ToByteArray()));
    }

    [Fact]
    public void Answers_with_structs_and_every_meta_give_the_library_s_text()
    {
        var row = new ListValue { Values = { Value.ForStruct(new Struct { Fields = { ["a"] = Value.ForNumber(1), ["b"] = Value.ForList(Value.ForString("x")) } }) } };
        var message = new SeldonMessage
        {
            Meta = new Meta
            {
                Puid = "p1",
                Tags = { ["z"] = Value.ForNumber(2), ["a"] = Value.ForStruct(new Struct { Fields = { ["k"] = Value.ForBool(true) } }) },
                Routing = { ["router"] = -1, ["other"] = 3 },
                RequestPath = { ["model"] = "image:1.0" },
            },
            Data = new DefaultData { Ndarray = new ListValue { Values = { Value.ForList(Value.ForNumber(1)), new Value { ListValue = row } } } },
        };

        var direct = SeldonProtoJson.TryFromWireDirect(message.ToByteArray());
        Assert.NotNull(direct);
        AssertSameTokens(SeldonProtoJson.FormatWithLibrary(message), direct);
    }

    [Fact]
    public void A_meta_with_metrics_goes_to_the_library_alone()
    {
        var message = new SeldonMessage
        {
            Meta = new Meta { Tags = { ["a"] = Value.ForNumber(1) }, Metrics = { new Metric { Key = "k", Value = 1.5f } } },
            Data = new DefaultData { Ndarray = new ListValue { Values = { Value.ForNumber(1) } } },
        };

        var direct = SeldonProtoJson.TryFromWireDirect(message.ToByteArray());
        Assert.NotNull(direct);
        AssertSameTokens(SeldonProtoJson.FormatWithLibrary(message), direct);
    }

    [Fact]
    public void A_struct_with_an_empty_key_goes_to_the_library()
    {
        var message = new SeldonMessage
        {
            Data = new DefaultData { Ndarray = new ListValue { Values = { Value.ForStruct(new Struct { Fields = { [""] = Value.ForNumber(1) } }) } } },
        };

        Assert.Null(SeldonProtoJson.TryFromWireDirect(message.ToByteArray()));
        Assert.Equal(
            Outcome(() => SeldonProtoJson.FormatWithLibrary(message)),
            Outcome(() => SeldonProtoJson.FromWire(message.ToByteArray())));
    }

    [Fact]
    public void Other_data_kinds_and_unknown_fields_go_to_the_library()
    {
        var text = new SeldonMessage { StrData = "hello" };
        var unknown = new SeldonMessage { Data = new DefaultData { Ndarray = new ListValue { Values = { Value.ForNumber(1) } } } }.ToByteArray()
            .Concat(new byte[] { 0x50, 0x01 }).ToArray(); // field 10, varint 1

        Assert.Null(SeldonProtoJson.TryFromWireDirect(text.ToByteArray()));
        Assert.Equal("{ \"strData\": \"hello\" }", SeldonProtoJson.FromWire(text.ToByteArray()));
        Assert.Null(SeldonProtoJson.TryFromWireDirect(unknown));
        Assert.Equal(SeldonProtoJson.FormatWithLibrary(SeldonMessage.Parser.ParseFrom(unknown)), SeldonProtoJson.FromWire(unknown));
    }

    [Fact]
    public void An_unpacked_tensor_reads_as_the_library_reads_it()
    {
        // Packed is what proto3 writes, but a reader must accept repeated scalars one by one too.
        using var buffer = new MemoryStream();
        var tensor = new MemoryStream();
        var t = new CodedOutputStream(tensor);
        t.WriteTag(1, WireFormat.WireType.Varint);
        t.WriteInt32(2);
        t.WriteTag(2, WireFormat.WireType.Fixed64);
        t.WriteDouble(1.5);
        t.WriteTag(2, WireFormat.WireType.Fixed64);
        t.WriteDouble(-2);
        t.Flush();
        var o = new CodedOutputStream(buffer);
        o.WriteTag(3, WireFormat.WireType.LengthDelimited);
        o.WriteLength((int)tensor.Length + 2);
        o.WriteTag(2, WireFormat.WireType.LengthDelimited);
        o.WriteBytes(ByteString.CopyFrom(tensor.ToArray()));
        o.Flush();
        var wire = buffer.ToArray();

        var direct = SeldonProtoJson.TryFromWireDirect(wire);
        Assert.NotNull(direct);
        AssertSameTokens(SeldonProtoJson.FormatWithLibrary(SeldonMessage.Parser.ParseFrom(wire)), direct);
        Assert.Contains("\"values\":[1.5,-2.0]", direct);
    }

    [Fact]
    public void Damaged_bytes_fail_as_the_library_fails()
    {
        var wire = SeldonProtoJson.ToWire("{\"data\": {\"ndarray\": [[1, 2, 3]]}}");

        for (var cut = 1; cut < wire.Length; cut++)
        {
            var damaged = wire[..cut];
            var expected = Outcome(() => SeldonProtoJson.FormatWithLibrary(SeldonMessage.Parser.ParseFrom(damaged)));
            var actual = Outcome(() => SeldonProtoJson.FromWire(damaged));
            Assert.True(expected == actual, $"cut at {cut}: library {expected}, ours {actual}");
        }
    }

    [Fact]
    public void Numbers_of_the_data_and_the_tags_are_written_as_python_floats()
    {
        var message = SeldonProtoJson.ParseWithLibrary(
            "{\"data\": {\"ndarray\": [[1e21, 0.1, -0, 123456789012345678, 1E-7, 41, 1e15, {\"n\": 2}]]}, \"meta\": {\"tags\": {\"n\": 41}}}");

        var text = SeldonProtoJson.FromWire(message.ToByteArray());
        Assert.Equal(
            "{\"meta\":{\"tags\":{\"n\":41.0}},\"data\":{\"ndarray\":[[1e+21,0.1,-0.0,1.2345678901234568e+17,1e-07,41.0,1000000000000000.0,{\"n\":2.0}]]}}",
            text);
        AssertSameTokens(SeldonProtoJson.FormatWithLibrary(message), text);
    }

    [Fact]
    public void The_library_path_writes_the_data_and_the_tags_as_python_floats_too()
    {
        // NaN cannot take the direct path: the library writes the whole answer, and its data's numbers are rewritten.
        var message = new SeldonMessage
        {
            Meta = new Meta { Tags = { ["n"] = Value.ForNumber(3) } },
            Data = new DefaultData { Tensor = new Seldon.Protos.Tensor { Shape = { 1, 3 }, Values = { 3, double.NaN, 1e16 } } },
        };

        Assert.Null(SeldonProtoJson.TryFromWireDirect(message.ToByteArray()));
        Assert.Equal(
            "{\"meta\":{\"tags\":{\"n\":3.0}},\"data\":{\"tensor\":{\"shape\":[1,3],\"values\":[3.0,\"NaN\",1e+16]}}}",
            SeldonProtoJson.FromWire(message.ToByteArray()));
    }

    private static IEnumerable<string> OtherSamples()
    {
        var samples = Gen.Sample(OtherMessage, 200).Distinct().ToList();
        Assert.True(samples.Count >= 15, $"only {samples.Count} distinct samples");
        return samples;
    }

    private static string Outcome(Func<object> convert)
    {
        try
        {
            return convert() switch
            {
                byte[] bytes => "bytes " + Convert.ToHexString(bytes),
                var other => "result " + other,
            };
        }
        catch (Exception ex)
        {
            return "error " + ex.GetType().Name;
        }
    }

    /// <summary>Same tokens in the same order: names and strings by value (escaping may differ), numbers byte for byte.</summary>
    private static void AssertSameTokens(string expected, string actual)
    {
        var a = new Utf8JsonReader(Encoding.UTF8.GetBytes(expected));
        var b = new Utf8JsonReader(Encoding.UTF8.GetBytes(actual));
        while (a.Read())
        {
            Assert.True(b.Read(), $"{actual} ends before {expected}");
            Assert.Equal(a.TokenType, b.TokenType);
            switch (a.TokenType)
            {
                case JsonTokenType.PropertyName or JsonTokenType.String:
                    Assert.Equal(a.GetString(), b.GetString());
                    break;
                case JsonTokenType.Number:
                    Assert.Equal(Encoding.UTF8.GetString(a.ValueSpan), Encoding.UTF8.GetString(b.ValueSpan));
                    break;
            }
        }

        Assert.False(b.Read(), $"{actual} goes on after {expected}");
    }
}
