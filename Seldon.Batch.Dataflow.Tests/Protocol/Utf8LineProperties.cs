using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>Lines read as their UTF-8 bytes (what a file run hands the encoders: <see cref="LineReader.ReadInputLinesAsync"/>)
/// against the same lines given as text (what they were before, and what the block API still gives): the same requests
/// byte for byte, the same members and the same errors, in both protocols, whatever the data type and batch size, for
/// lines of numbers (the scan), other JSON (the document paths), blank lines (Unicode white space among them) and bytes
/// that are not UTF-8.</summary>
public sealed class Utf8LineProperties
{
    private static readonly Gen<string> Numbers = Gen.Elements("0", "-0", "7", "-12", "3.5", "1e5", "2.50", "true", "null", "01", "1.", "-");

    /// <summary>The bytes of one line (no '\n'): JSON lines of numbers, other JSON, blanks, broken UTF-8.</summary>
    private static readonly Gen<byte[]> Lines =
        from kind in Gen.Choose(0, 9)
        from values in Gen.ArrayOf(Numbers, 4)
        from rows in Gen.Choose(1, 3)
        let row = "[" + string.Join(", ", values) + "]"
        let ndarray = "[" + string.Join(",", Enumerable.Repeat(row, rows)) + "]"
        select kind switch
        {
            0 => Encoding.UTF8.GetBytes(" "),
            1 => Encoding.UTF8.GetBytes("\u00a0\t\u2003"),
            2 => Encoding.UTF8.GetBytes("\u001c\u0085"),
            3 => [.. Encoding.UTF8.GetBytes(ndarray[..^1]), 0xC3, (byte)']'],
            4 => [.. Encoding.UTF8.GetBytes("[\""), 0xFF, 0xFE, .. Encoding.UTF8.GetBytes("\", 1]")],
            5 => Encoding.UTF8.GetBytes("[\"é\", 1]"),
            6 => Encoding.UTF8.GetBytes("{\"data\": {\"ndarray\": " + ndarray + "}}"),
            7 => Encoding.UTF8.GetBytes("\"text\""),
            _ => Encoding.UTF8.GetBytes(ndarray),
        };

    private static readonly Gen<(DataType, PayloadType)> SeldonKinds = Gen.Elements(
        (DataType.Data, PayloadType.Ndarray), (DataType.Data, PayloadType.Ndarray), (DataType.Data, PayloadType.Tensor),
        (DataType.Raw, PayloadType.Ndarray), (DataType.Str, PayloadType.Ndarray), (DataType.Json, PayloadType.Ndarray));

    [Fact]
    public void A_seldon_request_of_lines_read_as_bytes_is_that_of_the_lines_as_text()
    {
        var cases = from kind in SeldonKinds
                    from batchSize in Gen.Elements(1, 4)
                    from lines in Gen.ArrayOf(Lines, 4)
                    select (kind, batchSize, lines);
        var property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var ((dataType, payloadType), batchSize, lines) = c;
            string[] Encode(bool asBytes) => [.. Groups(lines, batchSize, asBytes).SelectMany(group =>
            {
                var n = 0;
                var encoder = new MicroBatchEncoder(new EncoderSettings(dataType, payloadType, PredictionMethod.Predict, "run-1", batchSize), () => $"id{++n}");
                return Described(encoder.Encode(group));
            })];
            Assert.Equal(Encode(asBytes: false), Encode(asBytes: true));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void An_open_inference_request_of_lines_read_as_bytes_is_that_of_the_lines_as_text()
    {
        var cases = from dataType in Gen.Elements(DataType.Data, DataType.Data, DataType.Raw, DataType.Str, DataType.Json)
                    from batchSize in Gen.Elements(1, 4)
                    from lines in Gen.ArrayOf(Lines, 4)
                    select (dataType, batchSize, lines);
        var property = Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (dataType, batchSize, lines) = c;
            string[] Encode(bool asBytes) => [.. Groups(lines, batchSize, asBytes).SelectMany(group =>
            {
                var n = 0;
                var encoder = new InferenceRequestEncoder(new OpenInferenceSettings(dataType, "run-1", batchSize, "input-0", null), () => $"id{++n}");
                return Described(encoder.Encode(group));
            })];
            Assert.Equal(Encode(asBytes: false), Encode(asBytes: true));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500).WithQuietOnSuccess(true), property);
    }

    [Theory]
    [InlineData("[[41, 19, 50, 83]]", true)]
    [InlineData(" [ true , null ] ", true)]
    [InlineData("[[1, 2, é]]", false)]
    [InlineData("[01]", false)]
    [InlineData("", false)]
    public void A_line_read_as_bytes_is_scanned_as_its_text_is(string text, bool scans)
    {
        var asText = NdarrayScanner.TryScan(new InputLine(0, text), null, out var textRows, out var textEnds, out var textDims);
        var asBytes = NdarrayScanner.TryScan(new InputLine(0, Encoding.UTF8.GetBytes(text).AsMemory()), null, out var byteRows, out var byteEnds, out var byteDims);
        Assert.Equal(scans, asText);
        Assert.Equal(scans, asBytes);
        Assert.Equal(textDims, byteDims);
        Assert.Equal(textEnds, byteEnds);
        Assert.Equal(textRows.AsSpan(0, textEnds.LastOrDefault()).ToArray(), byteRows.AsSpan(0, byteEnds.LastOrDefault()).ToArray());
        if (scans)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(textRows);
            System.Buffers.ArrayPool<byte>.Shared.Return(byteRows);
        }
    }

    [Theory]
    [InlineData(" \t", true)]
    [InlineData("\u00a0\u2003", true)]
    [InlineData("\u001c\u001f", false)]
    [InlineData("\v\f\r", true)]
    [InlineData(" [1] ", false)]
    [InlineData("\u00a0x", false)]
    [InlineData("", true)]
    public void A_line_read_as_bytes_is_blank_when_its_text_is(string text, bool blank)
    {
        Assert.Equal(blank, new InputLine(0, text).IsBlank);
        Assert.Equal(blank, new InputLine(0, Encoding.UTF8.GetBytes(text).AsMemory()).IsBlank);
    }

    [Fact]
    public void A_line_read_as_bytes_equals_the_line_of_its_text()
    {
        // Invalid UTF-8 decodes to U+FFFD, as the string reader replaces it.
        var line = new InputLine(3, new byte[] { (byte)'[', 0xFF, (byte)']' }.AsMemory());
        Assert.Equal("[\ufffd]", line.Text);
        Assert.Equal(new InputLine(3, "[\ufffd]"), line);
        Assert.Equal(new InputLine(3, "[\ufffd]").GetHashCode(), line.GetHashCode());
    }

    /// <summary>The lines in groups of <paramref name="batchSize"/>, as text (decoded as the reader decodes) or as bytes.</summary>
    private static IEnumerable<InputLine[]> Groups(byte[][] lines, int batchSize, bool asBytes) =>
        lines.Select((bytes, k) => asBytes ? new InputLine(k, bytes.AsMemory()) : new InputLine(k, InputLine.Decode(bytes)))
            .Chunk(batchSize);

    private static IEnumerable<string> Described(IReadOnlyList<EncodedBatch> batches) =>
        batches.SelectMany(b => b.Members
            .Select(m => $"{m.Index} {m.InstanceId} {m.Rows} {m.EncodingError} {m.UserTags?.ToJsonString()} {m.LineId}")
            .Append(b.RequestUtf8 is { } body ? Encoding.UTF8.GetString(body) : "(none)"));
}
