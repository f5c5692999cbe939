using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>The codecs read an answer's bytes as the transport read them (<see cref="AnswerBody.FromUtf8"/>), where they
/// were given the text those bytes decode to: the lines (and error records, and their messages) are held byte for byte to
/// the text path's over random answers, valid or not (cut, not JSON, white space, bytes that are not UTF-8), one after
/// another to one codec, so that the templates remembered across answers are taken the same way.</summary>
public sealed class AnswerBytesProperties
{
    private static readonly Gen<string> Values = Gen.Elements("0", "1", "-2.5", "1e-7", "\"a\"", "\"café\"", "\"日本\"", "\"\\u00e9\"", "true", "null", "\"😀\"");

    private static readonly Gen<string> Rows =
        from width in Gen.Choose(1, 3)
        from values in Gen.ArrayOf(Values, width)
        select "[" + string.Join(",", values) + "]";

    private static readonly Gen<string> SeldonSkeletons = Gen.Elements(
        "{\"data\":{\"names\":[\"y\"],\"ndarray\":[@rows@]},\"meta\":{\"tags\":{\"model\":\"m\"}}}",
        "{\"meta\":{},\"data\":{\"ndarray\":[@rows@]}}",
        "{\"data\":{\"ndarray\":[@rows@]},\"status\":{\"code\":200,\"status\":\"SUCCESS\"}}",
        "{\"status\":{\"code\":500,\"info\":\"failed é\",\"status\":\"FAILURE\"},\"data\":{\"ndarray\":[@rows@]}}");

    private static readonly Gen<string> V2Skeletons = Gen.Elements(
        "{\"model_name\":\"m\",\"id\":\"x\",\"outputs\":[{\"name\":\"y\",\"shape\":[@count@,1],\"datatype\":\"BYTES\",\"data\":[@values@]}]}",
        "{\"id\":\"é\",\"model_name\":\"日本\",\"parameters\":{\"p\":1},\"outputs\":[{\"name\":\"y\",\"datatype\":\"FP64\",\"shape\":[@count@,1],\"data\":[@values@]}]}");

    /// <summary>How an answer's bytes are spoilt, now and then: a byte that is no UTF-8 (alone, or in a string), a
    /// sequence cut short, an encoded surrogate, white space (Unicode's too) around it, cut short, not JSON, empty.</summary>
    private static Gen<byte[]> Spoilt(byte[] bytes) => Gen.Frequency(
        (8, Gen.Constant(bytes)),
        (1, from at in Gen.Choose(0, bytes.Length)
            from bad in Gen.Elements<byte[]>([0xFF], [0xC3], [0xE6, 0x97], [0xED, 0xA0, 0x80], [0xC0, 0xAF])
            select (byte[])[.. bytes.AsSpan(0, at), .. bad, .. bytes.AsSpan(at)]),
        (1, from before in Gen.Elements("", " ", "\u00a0", "\u2028\t", "\ufeff")
            from after in Gen.Elements("", "\n", "\u3000")
            select (byte[])[.. Encoding.UTF8.GetBytes(before), .. bytes, .. Encoding.UTF8.GetBytes(after)]),
        (1, Gen.Choose(0, bytes.Length).Select(n => bytes[..n])),
        (1, Gen.Elements("", " ", "\u00a0", "<html>é</html>", "[1,2]", "null", "\"text\"").Select(Encoding.UTF8.GetBytes)));

    private static Gen<(int Lines, byte[] Answer)> SeldonAnswers =>
        from skeleton in SeldonSkeletons
        from lines in Gen.Choose(1, 4)
        from rows in Gen.ArrayOf(Rows, lines)
        from bytes in Spoilt(Encoding.UTF8.GetBytes(skeleton.Replace("@rows@", string.Join(",", rows), StringComparison.Ordinal)))
        select (lines, bytes);

    private static Gen<(int Lines, byte[] Answer)> V2Answers =>
        from skeleton in V2Skeletons
        from lines in Gen.Choose(1, 4)
        from values in Gen.ArrayOf(Gen.Elements("1", "2.5", "\"a\"", "\"é\"", "\"\\ud83d\\ude00\""), lines)
        let text = skeleton.Replace("@count@", lines.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@values@", string.Join(",", values), StringComparison.Ordinal)
        from bytes in Spoilt(Encoding.UTF8.GetBytes(text))
        select (lines, bytes);

    [Fact]
    public void Seldon_answers_read_as_bytes_give_the_lines_their_text_gives()
    {
        var property = Prop.ForAll(Gen.ArrayOf(SeldonAnswers, 6).ToArbitrary(), answers =>
        {
            var (fromBytes, fromText) = (new OutputComposer("run-1"), new OutputComposer("run-1"));
            foreach (var (lines, answer) in answers)
            {
                var batch = Batch(lines);
                Assert.Equal(Written(() => fromText.Compose(batch, Encoding.UTF8.GetString(answer), null)), Written(() => fromBytes.Compose(batch, AnswerBody.FromUtf8(answer), null)));
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Open_inference_answers_read_as_bytes_give_the_lines_their_text_gives()
    {
        var property = Prop.ForAll(Gen.ArrayOf(V2Answers, 6).ToArbitrary(), answers =>
        {
            var (fromBytes, fromText) = (new InferenceResponseSplitter("run-1"), new InferenceResponseSplitter("run-1"));
            foreach (var (lines, answer) in answers)
            {
                var batch = Batch(lines);
                Assert.Equal(Written(() => fromText.Compose(batch, Encoding.UTF8.GetString(answer), null)), Written(() => fromBytes.Compose(batch, AnswerBody.FromUtf8(answer), null)));
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true), property);
    }

    [Theory]
    [InlineData(new byte[] { (byte)'{', 0xC3, (byte)'"', 0xFF, (byte)'}' })]
    [InlineData(new byte[] { (byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xFF, (byte)'"', (byte)'}' })]
    public void Invalid_utf8_is_read_as_the_text_it_decodes_to(byte[] answer)
    {
        var body = AnswerBody.FromUtf8(answer);

        Assert.False(body.IsUtf8);
        Assert.Equal(Encoding.UTF8.GetString(answer), body.Text);
        Assert.Contains('\ufffd', body.Text!);
    }

    [Fact]
    public void Blank_is_what_string_IsNullOrWhiteSpace_says_of_the_text()
    {
        foreach (var text in new[] { "", " ", "\u00a0\u2028\u3000\t\r\n", " {", "\ufeff", "\u200b", "x" })
        {
            Assert.Equal(string.IsNullOrWhiteSpace(text), AnswerBody.FromUtf8(Encoding.UTF8.GetBytes(text)).IsBlank);
            Assert.Equal(string.IsNullOrWhiteSpace(text), new AnswerBody(text).IsBlank);
        }

        Assert.True(default(AnswerBody).IsBlank);
        Assert.Null(default(AnswerBody).Text);
    }

    private static EncodedBatch Batch(int lines)
    {
        var members = Enumerable.Range(0, lines).Select(k => new BatchMember(k + 10, "req", k) { Rows = 1 }).ToList();
        return new EncodedBatch(members, "{}", "req") { IsSplit = lines > 1 };
    }

    /// <summary>The lines with what a result says of its answer, or the exception the codec threw, if one did (the split
    /// stage turns one into error records; an escaped lone surrogate, which used to throw, is read as U+FFFD).</summary>
    private static string[] Written(Func<InstanceResult[]> compose)
    {
        try
        {
            return [.. compose().Select(r => $"{r.Index} {r.Failure} {r.Line} | {Encoding.UTF8.GetString(r.Prediction.Span)}")];
        }
        catch (InvalidOperationException ex)
        {
            return [$"{ex.GetType().Name}: {ex.Message}"];
        }
    }
}
