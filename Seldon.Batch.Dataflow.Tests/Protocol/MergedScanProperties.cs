using System.Buffers;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>A group's ndarray lines scanned into one buffer (<see cref="ScannedRows"/>) against the path it shortcuts,
/// every line read through a document (<see cref="MicroBatchEncoder.EncodeMergedWithDocuments"/>), and against a request
/// built from System.Text.Json's own reading of the lines: the same requests, members and bytes, over groups that mix
/// lines of numbers with lines the scan declines (strings with escapes, objects, text that is not ASCII), lines that
/// cannot be sent (invalid JSON, blank, no rows, not an array) and rows of other shapes (ragged, nested, scalars), as text
/// and as bytes.</summary>
public sealed class MergedScanProperties
{
    private static readonly Gen<string> Numbers = Gen.Elements(
        "0", "-0", "7", "-12", "3.5", "-0.25", "1e5", "1E+2", "2.50", "-1.5e-3", "12345678901234567890", "true", "false", "null");

    private static readonly Gen<string> Space = Gen.Frequency((8, Gen.Constant("")), (1, Gen.Elements(" ", "  ", "\t", " \r ")));

    /// <summary>A value the scan declines but the document path sends: a string (escapes, non-ASCII) or an object.</summary>
    private static readonly Gen<string> Declined = Gen.Elements(
        "\"a\"", "\"a\\nb\"", "\"\\u00e9\"", "\"caf\u00e9\"", "\"\\\"q\\\"\"", "\"<\\/>\"", "{\"a\":1}", "{}", "\"\\ud83d\\ude00\"");

    private static Gen<string> Row(int[] shape, int depth) => depth == shape.Length
        ? Gen.Frequency((30, Numbers), (1, Declined))
        : from items in Gen.ArrayOf(Row(shape, depth + 1), shape[depth])
          from space in Space
          select "[" + space + string.Join("," + space, items) + "]";

    /// <summary>A line of rows of one shape: most lines share the first shape (one request), some have another (the next).</summary>
    private static readonly Gen<string> Rectangular =
        from shape in Gen.Frequency(
            (12, Gen.Constant(new[] { 4 })),
            (2, Gen.Elements(new[] { 2 }, new[] { 2, 2 }, Array.Empty<int>(), new[] { 0 }, new[] { 1, 3 })))
        from count in Gen.Frequency((8, Gen.Constant(1)), (2, Gen.Choose(2, 3)), (1, Gen.Constant(0)))
        from rows in Gen.ArrayOf(Row(shape, 0), count)
        from space in Space
        select space + "[" + string.Join("," + space, rows) + "]" + space;

    /// <summary>Lines no request takes, or reads otherwise than their first row says (ragged rows).</summary>
    private static readonly Gen<string> Odd = Gen.Elements(
        "", "  ", "[[1, 2]", "[[1, 2],]", "{\"a\": 1}", "7", "\"x\"", "[[1, [2]], [3]]", "[[1, 2], [3]]", "[[1, 2], 3]", "[1, [2, 3]]",
        "[[1, 2]] 1", "[[01]]", "[[1e]]", "[[\u00e9]]", "[[\"\\ud800\"]]", "null", "[[1,2],[3,4]]  ", "[[[1]]]");

    private static readonly Gen<(string Text, bool AsBytes)> Lines =
        from text in Gen.Frequency((10, Rectangular), (1, Odd))
        from asBytes in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
        select (text, asBytes);

    private static readonly Gen<(string Text, bool AsBytes)[]> Groups =
        from count in Gen.Frequency((4, Gen.Constant(32)), (1, Gen.Choose(1, 40)))
        from lines in Gen.ArrayOf(Lines, count)
        select lines;

    [Fact]
    public void The_group_buffer_writes_what_the_document_path_writes()
    {
        var property = Prop.ForAll(Groups.ToArbitrary(), group => Agrees(group, firstIndex: 64));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void The_group_buffer_is_emptied_between_groups_on_one_thread()
    {
        // Groups encoded one after another on this thread reuse its buffer: each request holds its own group's rows only.
        var property = Prop.ForAll(Groups.ToArbitrary(), Groups.ToArbitrary(), (a, b) => Agrees(a, 0) && Agrees(b, 32));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void A_line_of_32_rows_of_numbers_and_a_declined_line_share_a_request_in_order() => Assert.True(Agrees(
        [("[[1, 2], [3, 4]]", true), ("[[\"a\\n\", 5]]", true), ("[[6, 7]]", false), ("[[8, 9, 10]]", true), ("[[11, 12]]", true)], 0));

    private static bool Agrees((string Text, bool AsBytes)[] group, long firstIndex)
    {
        var lines = group.Select((l, k) => l.AsBytes
            ? new InputLine(firstIndex + k, Encoding.UTF8.GetBytes(l.Text).AsMemory())
            : new InputLine(firstIndex + k, l.Text)).ToArray();
        var scanned = Encoder().Encode(lines);
        var documents = Encoder().EncodeMergedWithDocuments(lines);
        Assert.Equal(Describe(documents), Describe(scanned));
        foreach (var batch in scanned)
        {
            Assert.Equal(Expected(batch, group, firstIndex), batch.RequestBody);
        }

        return true;
    }

    private static MicroBatchEncoder Encoder()
    {
        var n = 0;
        return new MicroBatchEncoder(new EncoderSettings(DataType.Data, PayloadType.Ndarray, PredictionMethod.Predict, "run-1", 32), () => $"id{++n}");
    }

    /// <summary>Everything a request carries for the run: its id, body and members (line, instance, rows, error).</summary>
    private static string Describe(IReadOnlyList<EncodedBatch> batches) => string.Join("\n", batches.Select(b =>
        $"{b.Puid} split={b.IsSplit} {b.RequestBody ?? "(none)"} " + string.Join(";", b.Members.Select(m =>
            $"{m.Index}/{m.InstanceId}/{m.Rows}/{m.EncodingError}/{m.UserTags?.ToJsonString()}"))));

    /// <summary>The request System.Text.Json writes for the members of <paramref name="batch"/> that were sent: their lines'
    /// rows, each read by a document and written compact, and the batch tags of the first.</summary>
    private static string? Expected(EncodedBatch batch, (string Text, bool AsBytes)[] group, long firstIndex)
    {
        var sent = batch.Members.Where(m => m.IsSent).ToList();
        if (sent.Count == 0)
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer, SeldonJson.WriterOptions))
        {
            w.WriteStartObject();
            w.WriteStartObject("data");
            w.WriteStartArray("ndarray");
            var shape = (string?)null;
            foreach (var member in sent)
            {
                var text = group[(int)(member.Index - firstIndex)].Text;
                using var document = JsonDocument.Parse(text);
                Assert.Equal(document.RootElement.GetArrayLength(), member.Rows);
                shape ??= RowShape(document.RootElement);
                Assert.Equal(shape, RowShape(document.RootElement));
                foreach (var row in document.RootElement.EnumerateArray())
                {
                    row.WriteTo(w);
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject("meta");
            w.WriteStartObject("tags");
            w.WriteString("batch_id", "run-1");
            w.WriteNumber("batch_index", sent[0].Index);
            w.WriteString("batch_instance_id", batch.Puid);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The dimensions after the first, found by following first items (what a request's rows must share).</summary>
    private static string RowShape(JsonElement root)
    {
        var dims = new List<int>();
        for (var probe = root; probe.ValueKind == JsonValueKind.Array;)
        {
            dims.Add(probe.GetArrayLength());
            if (probe.GetArrayLength() == 0)
            {
                break;
            }

            probe = probe[0];
        }

        return string.Join(",", dims.Skip(1));
    }
}
