using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The compact path from a request's JSON to wire bytes (<c>SeldonProtoJson.TryToWireCompact</c>) must take the
/// requests the micro-batch encoder writes and give for them the direct path's bytes (themselves the library's), and give
/// way (null) for anything else: every text it takes gets exactly <c>TryToWireDirect</c>'s bytes.</summary>
public sealed class SeldonProtoJsonCompactProperties
{
    private static readonly Gen<string> Number = Gen.OneOf(
        Gen.Choose(-1000, 1000).Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.Choose(-100000, 100000).Select(n => Math.Round(n / 997.0, 6).ToString("r", CultureInfo.InvariantCulture)),
        Gen.Elements("0", "-0", "0.5", "-1.25", "0.1", "999999999999999", "-0.00000000000001", "123456789.012345"));

    private static readonly Gen<string> OddNumber = Gen.Elements(
        "1e21", "1E-7", "2.5e+3", "1234567890123456", "01", "-", "1.", ".5", "+1", "0x1", "1e400", "NaN", "--1", "1.2.3");

    private static Gen<string> Rows(int depth) => depth <= 1
        ? Gen.Choose(0, 5).SelectMany(n => Gen.ArrayOf(Number, n)).Select(Join)
        : Gen.Choose(0, 4).SelectMany(n => Gen.ArrayOf(Gen.Frequency((2, Number), (3, Rows(depth - 1))), n)).Select(Join);

    private static string Join(string[] items) => "[" + string.Join(",", items) + "]";

    private static readonly Gen<string> TagText = Gen.Elements("b", "batch-7", "", "a b", "x-item-0", "~!#$%&'()*+/<=>?@[]^_`{|}");

    private static readonly string[] TagKeys = ["batch_id", "batch_index", "batch_instance_id", "k", "model"];

    /// <summary>Up to five tags of distinct keys, numbers or strings.</summary>
    private static readonly Gen<string> Meta =
        from count in Gen.Choose(0, TagKeys.Length)
        from values in Gen.ArrayOf(Gen.OneOf(Number, TagText.Select(t => $"\"{t}\"")), TagKeys.Length)
        select "{\"tags\":{" + string.Join(",", TagKeys.Take(count).Select((key, k) => $"\"{key}\":{values[k]}")) + "}}";

    /// <summary>Requests as the encoder writes them (data then meta), and their parts alone or swapped.</summary>
    private static readonly Gen<string> Compact =
        from depth in Gen.Choose(1, 4)
        from rows in Rows(depth)
        from meta in Meta
        from order in Gen.Choose(0, 3)
        select order switch
        {
            0 => $"{{\"data\":{{\"ndarray\":{rows}}},\"meta\":{meta}}}",
            1 => $"{{\"meta\":{meta},\"data\":{{\"ndarray\":{rows}}}}}",
            2 => $"{{\"data\":{{\"ndarray\":{rows}}}}}",
            _ => $"{{\"meta\":{meta}}}",
        };

    /// <summary>A compact request changed in one place: a byte dropped, doubled or put in, a number made odd, text cut.</summary>
    private static readonly Gen<string> Changed =
        from json in Compact
        from at in Gen.Choose(0, 10_000)
        from kind in Gen.Choose(0, 4)
        from odd in OddNumber
        from inserted in Gen.Elements(" ", ",", "]", "[", "}", "\"", "\\", "é", "\t", "null", "true", "{}", "\"data\":{}")
        select Change(json, at % (json.Length + 1), kind, odd, inserted);

    private static string Change(string json, int at, int kind, string odd, string inserted) => kind switch
    {
        0 when at < json.Length => json.Remove(at, 1),
        1 when at < json.Length => json.Insert(at, json[at].ToString()),
        2 => json.Insert(at, inserted),
        3 when json.Contains(",0", StringComparison.Ordinal) => json.Replace(",0", "," + odd, StringComparison.Ordinal),
        _ => json[..at],
    };

    private static void HoldsToDirect(string json, bool mustTake)
    {
        var utf8 = Encoding.UTF8.GetBytes(json);
        var compact = SeldonProtoJson.TryToWireCompact(utf8);
        if (mustTake)
        {
            Assert.NotNull(compact);
        }

        if (compact is not null)
        {
            var direct = SeldonProtoJson.TryToWireDirect(utf8);
            Assert.NotNull(direct);
            Assert.Equal(Convert.ToHexString(direct), Convert.ToHexString(compact));
            Assert.Equal(SeldonProtoJson.ParseWithLibrary(json).ToByteArray(), compact);
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
    [InlineData("{\"data\":{\"ndarray\":[[1,2]]},\"meta\":{\"tags\":{\"a\":1,\"a\":2}}}")]
    [InlineData("{\"data\":{\"ndarray\":[[1,2]]},\"meta\":{\"tags\":{\"\":1}}}")]
    [InlineData("{\"data\":{\"ndarray\":[[1e5]]}}")]
    [InlineData("{\"data\":{\"ndarray\":[[1]]},\"data\":{\"ndarray\":[[1]]}}")]
    [InlineData("{\"data\":{\"names\":[\"a\"],\"ndarray\":[[1]]}}")]
    [InlineData("{\"data\":{\"ndarray\":[[\"s\"]]}}")]
    [InlineData("{\"data\":{\"ndarray\":[[1]]},\"meta\":{\"puid\":\"p\"}}")]
    [InlineData("{\"data\": {\"ndarray\":[[1]]}}")]
    [InlineData("{\"data\":{\"ndarray\":[[1]]}} ")]
    [InlineData("{\"data\":{\"ndarray\":[[1]]},\"meta\":{\"tags\":{\"a\":\"\\u0041\"}}}")]
    [InlineData("{\"data\":{\"ndarray\":[[1]]},\"meta\":{\"tags\":{\"a\":\"é\"}}}")]
    public void Other_texts_give_way(string json) => Assert.Null(SeldonProtoJson.TryToWireCompact(Encoding.UTF8.GetBytes(json)));

    [Fact]
    public void Deep_lists_give_way_where_the_direct_path_does()
    {
        for (var depth = 1; depth < 20; depth++)
        {
            var json = "{\"data\":{\"ndarray\":" + new string('[', depth) + "1" + new string(']', depth) + "}}";
            var utf8 = Encoding.UTF8.GetBytes(json);
            var compact = SeldonProtoJson.TryToWireCompact(utf8);
            var direct = SeldonProtoJson.TryToWireDirect(utf8);
            Assert.Equal(direct is null, compact is null);
            if (compact is not null)
            {
                Assert.Equal(direct, compact);
            }
        }
    }

    [Fact]
    public void Long_requests_give_the_direct_path_s_bytes()
    {
        // Lengths of 128 bytes and more take a longer varint, moved into place (WireWriter.End).
        var rows = Join(Enumerable.Range(0, 300).Select(r => Join([(r % 101).ToString(CultureInfo.InvariantCulture), "-0.5", "41", "19"])).ToArray());
        HoldsToDirect($"{{\"data\":{{\"ndarray\":{rows}}},\"meta\":{{\"tags\":{{\"batch_id\":\"{new string('b', 200)}\",\"batch_index\":3}}}}}}", mustTake: true);
    }
}
