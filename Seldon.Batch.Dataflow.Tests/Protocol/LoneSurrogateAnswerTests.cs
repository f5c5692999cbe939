using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>An answer whose JSON escapes a lone surrogate (<c>"\ud800"</c>: valid JSON, no character; Python's json
/// reads and writes it) is written with U+FFFD in its place, as a bad UTF-8 sequence is, instead of its lines failing
/// because System.Text.Json will not read it as a string.</summary>
public sealed class LoneSurrogateAnswerTests
{
    private const string Replacement = "\uFFFD";

    private readonly OutputComposer _composer = new("run-1");

    /// <summary>Pieces of a JSON string's text: plain and non-ASCII text, escapes of every kind, escaped pairs, lone
    /// halves, an escaped backslash before "ud800" (not an escape), escapes in upper and lower case.</summary>
    private static readonly Gen<string> StringTexts =
        Gen.ArrayOf(Gen.Elements(
            "a", "é", "😀", "\\n", "\\\"", "\\\\", "\\/", "\\u0041", "\\u00e9", "\\ud83d\\ude00", "\\uD83D\\uDE00",
            "\\ud800", "\\uDBFF", "\\udc00", "\\uDFFF", "\\\\ud800", "\\ud800\\u0041", "\\ud800\\ud800", "\\udc00\\ud800"))
        .Select(parts => string.Concat(parts));

    private static BatchMember Sent(long index) => new(index, $"i{index}") { Rows = 1 };

    [Theory]
    [InlineData("""{"data":{"names":["t:0"],"ndarray":[["\ud800"]]}}""", "data.ndarray.0.0")]
    [InlineData("""{"data":{"names":["\ud800"],"ndarray":[[1]]}}""", "data.names.0")]
    [InlineData("""{"data":{"ndarray":[[1]]},"meta":{"tags":{"m":"\udc00"}}}""", "meta.tags.m")]
    [InlineData("""{"data":{"ndarray":[[1]]},"meta":{"routing":{"r":"\uDBFF"}}}""", "meta.routing.r")]
    [InlineData("""{"strData":"\ud800"}""", "strData")]
    public void A_single_answer_is_written_with_the_replacement_character(string answer, string path)
    {
        var member = Sent(3);
        var result = Assert.Single(_composer.Compose(new EncodedBatch([member], "{}", member.InstanceId), answer, null));

        Assert.True(result.Succeeded, result.Failure?.Reason);
        Assert.Equal(Replacement, At(JsonNode.Parse(result.Line), path));
    }

    [Theory]
    [InlineData("""{"data":{"names":["t:0"],"ndarray":[["\ud800"],["b"]]}}""", "data.ndarray.0.0")]
    [InlineData("""{"data":{"names":["\ud800"],"ndarray":[[1],[2]]}}""", "data.names.0")]
    [InlineData("""{"data":{"ndarray":[[1],[2]]},"meta":{"tags":{"m":"\udc00"}}}""", "meta.tags.m")]
    public void A_split_answer_is_written_with_the_replacement_character(string answer, string path)
    {
        var results = _composer.Compose(new EncodedBatch([Sent(3), Sent(4)], "{}", "req") { IsSplit = true }, answer, null);

        Assert.Equal(2, results.Length);
        Assert.All(results, r => Assert.True(r.Succeeded, r.Failure?.Reason));
        Assert.Equal(Replacement, At(JsonNode.Parse(results[0].Line), path));
    }

    [Fact]
    public void An_open_inference_answer_is_written_with_the_replacement_character()
    {
        var codec = new OpenInferenceCodec(new OpenInferenceSettings(DataType.Data, "run-1", 1, "input-0", null), () => "id1");
        var batch = Assert.Single(codec.Encode([new InputLine(0, "[[1]]")]));
        const string answer = """{"model_name":"m\ud800","id":"id1","outputs":[{"name":"o","shape":[1,1],"datatype":"BYTES","data":["\udfff"]}]}""";

        var result = Assert.Single(codec.Compose(batch, answer, null));

        Assert.True(result.Succeeded, result.Failure?.Reason);
        var line = JsonNode.Parse(result.Line)!;
        Assert.Equal("m" + Replacement, line["model_name"]!.GetValue<string>());
        Assert.Equal(Replacement, line["outputs"]![0]!["data"]![0]!.GetValue<string>());
    }

    [Fact]
    public void An_answer_read_as_bytes_is_copied_only_when_it_has_a_lone_surrogate()
    {
        var plain = new ReadOnlyMemory<byte>("""{"a":"\\ud800 \ud83d\ude00 \u0041"}"""u8.ToArray());
        var lone = new ReadOnlyMemory<byte>("""{"a":"x\ud800y"}"""u8.ToArray());

        Assert.True(AnswerBody.FromUtf8(plain).Utf8.Equals(plain));
        Assert.Equal("""{"a":"x\ufffdy"}""", Encoding.UTF8.GetString(AnswerBody.FromUtf8(lone).Utf8.Span));
        Assert.Equal("""{"a":"x\ud800y"}""", Encoding.UTF8.GetString(lone.Span)); // the transport's bytes are not changed
    }

    [Property(MaxTest = 2000)]
    public Property Every_string_reads_as_its_code_units_with_each_lone_surrogate_replaced() =>
        Prop.ForAll(Gen.ArrayOf(StringTexts).Where(a => a.Length > 0).ToArbitrary(), texts =>
        {
            var json = "[" + string.Join(",", texts.Select(t => "\"" + t + "\"")) + "]";
            var bytes = new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(json));
            var replaced = LoneSurrogates.Replace(bytes);
            using var document = JsonDocument.Parse(replaced);
            var read = document.RootElement.EnumerateArray().Select(e => e.GetString()).ToArray();
            var expected = texts.Select(t => WithReplacements(Unescape(t))).ToArray();
            var untouched = expected.SequenceEqual(texts.Select(Unescape));

            Assert.Equal(expected, read);
            Assert.Equal(replaced.Length, bytes.Length);
            Assert.Equal(untouched, replaced.Equals(bytes)); // copied exactly when something was replaced
            Assert.Equal(Encoding.UTF8.GetString(replaced.Span), LoneSurrogates.Replace(json));
        });

    /// <summary>A JSON string's text as UTF-16 code units, lone surrogates kept (the reference: what Python reads).</summary>
    private static string Unescape(string text)
    {
        var units = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '\\')
            {
                units.Append(text[i]);
                continue;
            }

            var c = text[++i];
            if (c == 'u')
            {
                units.Append((char)Convert.ToInt32(text.Substring(i + 1, 4), 16));
                i += 4;
            }
            else
            {
                units.Append(c switch { 'n' => '\n', _ => c });
            }
        }

        return units.ToString();
    }

    /// <summary><paramref name="units"/> with every surrogate that is not half of a pair made U+FFFD.</summary>
    private static string WithReplacements(string units)
    {
        var text = new StringBuilder();
        for (var i = 0; i < units.Length; i++)
        {
            if (char.IsHighSurrogate(units[i]) && i + 1 < units.Length && char.IsLowSurrogate(units[i + 1]))
            {
                text.Append(units, i++, 2);
            }
            else
            {
                text.Append(char.IsSurrogate(units[i]) ? '\uFFFD' : units[i]);
            }
        }

        return text.ToString();
    }

    private static string? At(JsonNode? node, string path)
    {
        foreach (var step in path.Split('.'))
        {
            node = int.TryParse(step, out var k) ? node![k] : node![step];
        }

        return node!.GetValue<string>();
    }
}
