using System.Buffers;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>The scan of ndarray lines (<see cref="NdarrayScanner"/>) against the document path it shortcuts: where it
/// succeeds, the same dimensions, rows and bytes; where the document path would refuse the line or needs to re-escape
/// a string, the scan declines.</summary>
public sealed class NdarrayScannerProperties
{
    private static readonly Gen<string> Numbers = Gen.Elements(
        "0", "-0", "7", "-12", "3.5", "-0.25", "1e5", "1E+2", "2.50", "-1.5e-3", "12345678901234567890", "1.7976931348623157e308", "true", "false", "null",
        "-0.0e-0", "0E0", "1e05");

    /// <summary>What the JSON grammar refuses, or reads otherwise than it looks (the scan reads its own tokens: held here to
    /// the reader's verdict).</summary>
    private static readonly Gen<string> NotNumbers = Gen.Elements(
        "01", "-01", "00", "1.", "-", "--1", ".5", "+1", "1e", "1e+", "1.5.2", "0x1", "1e5e5", "2-", "tru", "nul", "truex", "True", "NaN", "Infinity", "1 2");

    private static readonly Gen<string> Space = Gen.Elements("", "", "", " ", "  ", "\t", " \r ", "\n", "\f", "\v");

    /// <summary>A value: a scalar, or (while depth lasts) an array of 0–4 values, sometimes a string.</summary>
    private static Gen<string> Value(int depth) => depth == 0
        ? Gen.Frequency((12, Numbers), (1, NotNumbers), (1, Gen.Elements("\"a\"", "\"\\u0041\"")))
        : Gen.Frequency((1, Value(0)), (3, Array(depth - 1)));

    private static Gen<string> Array(int depth) =>
        from count in Gen.Choose(0, 4)
        from items in Gen.ArrayOf(Value(depth), count)
        from spaces in Gen.ArrayOf(Space, count + 2)
        select "[" + spaces[0] + string.Join("," + spaces[1], items) + spaces[^1] + "]";

    /// <summary>Lines as users write them, and broken ones: cut short, a trailing comma, something after the array,
    /// an object, a non-ASCII character.</summary>
    private static readonly Gen<string> Lines =
        from depth in Gen.Choose(1, 4)
        from line in Array(depth)
        from edit in Gen.Choose(0, 12)
        from at in Gen.Choose(0, 1000)
        select edit switch
        {
            1 => line[..(at % line.Length)],
            2 => line[..^1] + ",]",
            3 => line + " 1",
            4 => line.Insert(1 + at % (line.Length - 1), "{\"a\":1},"),
            5 => " " + line + "\t",
            6 => line.Replace("1", "é"),
            _ => line,
        };

    [Fact]
    public void The_scan_agrees_with_the_document_path_byte_for_byte_or_declines()
    {
        var property = Prop.ForAll(Lines.ToArbitrary(), Agrees);
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true), property);
    }

    [Theory]
    [InlineData(255)]
    [InlineData(256)]
    [InlineData(257)]
    public void Agrees_with_the_document_path_at_the_depth_limit(int depth) =>
        Assert.True(Agrees(new string('[', depth) + "1" + new string(']', depth)));

    [Theory]
    [InlineData("[[41, 19, 50, 83]]", new[] { 1, 4 }, "[41,19,50,83]")]
    [InlineData("[1, 2.5e3, -0]", new[] { 3 }, "1|2.5e3|-0")]
    [InlineData("[[], [[1]]]", new[] { 2, 0 }, "[]|[[1]]")]
    [InlineData("[[1, [2]], [3]]", new[] { 2, 2 }, "[1,[2]]|[3]")]
    [InlineData("[[[1, 2]], [[3, 4]]]", new[] { 2, 1, 2 }, "[[1,2]]|[[3,4]]")]
    [InlineData("[]", new[] { 0 }, "")]
    [InlineData(" [ true , null ] ", new[] { 2 }, "true|null")]
    public void Scans_rows_and_dimensions(string line, int[] dimensions, string rows)
    {
        Assert.True(NdarrayScanner.TryScan(line, out var bytes, out var ends, out var dims));
        Assert.Equal(dimensions, dims);
        Assert.Equal(rows, string.Join('|', Rows(bytes, ends)));
        ArrayPool<byte>.Shared.Return(bytes);
    }

    [Theory]
    [InlineData("[[\"a\", 1]]")]
    [InlineData("[{\"a\": 1}]")]
    [InlineData("{\"a\": [1]}")]
    [InlineData("7")]
    [InlineData("[[1, 2]")]
    [InlineData("[[1, 2],]")]
    [InlineData("[[1]] [2]")]
    [InlineData("[[1, 2]] // comment")]
    [InlineData("[[1, 2, é]]")]
    [InlineData("[01]")]
    [InlineData("[1.]")]
    [InlineData("[-]")]
    [InlineData("[1e]")]
    [InlineData("[+1]")]
    [InlineData("[.5]")]
    [InlineData("[tru]")]
    [InlineData("[truex]")]
    [InlineData("[1 2]")]
    [InlineData("[1,,2]")]
    [InlineData("[,1]")]
    [InlineData("[]]")]
    [InlineData("]")]
    [InlineData("[\f1]")]
    [InlineData(" ")]
    [InlineData("")]
    public void Declines_what_the_document_path_must_read_or_refuse(string line) =>
        Assert.False(NdarrayScanner.TryScan(line, out _, out _, out _));

    private static bool Agrees(string line)
    {
        var scanned = RowSource.TryScanNdarray(line);
        RowSource? read = null;
        string? refusal = null;
        try
        {
            read = RowSource.FromNdarray(SeldonJson.ParseDocument(line), out refusal);
        }
        catch (JsonException ex)
        {
            refusal = ex.Message;
        }

        using (scanned)
        using (read)
        {
            if (scanned is null)
            {
                // Declined: fine whatever the document path does, but a plain line of numbers must not be declined.
                return refusal is not null || line.Contains('"') || line.Contains('{') || !Ascii.IsValid(line);
            }

            Assert.Null(refusal);
            Assert.NotNull(read);
            Assert.Equal(read.Dimensions, scanned.Dimensions);
            Assert.Equal(read.Rows, scanned.Rows);
            Assert.Equal(Written(read), Written(scanned));
            return true;
        }
    }

    private static string Written(RowSource source)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, SeldonJson.WriterOptions))
        {
            w.WriteStartArray();
            source.WriteRows(w);
            w.WriteEndArray();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    private static IEnumerable<string> Rows(byte[] bytes, int[] ends)
    {
        var start = 0;
        foreach (var end in ends)
        {
            yield return Encoding.ASCII.GetString(bytes, start, end - start);
            start = end;
        }
    }
}
