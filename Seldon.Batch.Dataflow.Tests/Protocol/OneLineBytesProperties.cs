using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary>The one-line ndarray request written as bytes (<c>MicroBatchEncoder.OneLineBytes.cs</c>) against the path it
/// shortcuts, the request written through <see cref="System.Text.Json.Utf8JsonWriter"/>: the same request bytes, members
/// and errors over random lines of every data and payload type (ndarray lines of numbers, lines the scan declines, lines
/// that cannot be sent, raw messages, strings), as text and as bytes, with batch ids that need escaping (or cannot be
/// written) and instance ids that need escaping.</summary>
public sealed class OneLineBytesProperties
{
    private static readonly Gen<string> Numbers = Gen.Elements(
        "0", "-0", "7", "-12", "3.5", "-0.25", "1e5", "1E+2", "2.50", "-1.5e-3", "12345678901234567890", "true", "false", "null");

    private static readonly Gen<string> Space = Gen.Frequency((8, Gen.Constant("")), (1, Gen.Elements(" ", "  ", "\t", " \r ")));

    private static readonly Gen<string> Declined = Gen.Elements(
        "\"a\"", "\"a\\nb\"", "\"\\u00e9\"", "\"caf\u00e9\"", "\"\\\"q\\\"\"", "\"<\\/>\"", "{\"a\":1}", "{}", "\"\\ud83d\\ude00\"");

    private static Gen<string> Row(int[] shape, int depth) => depth == shape.Length
        ? Gen.Frequency((30, Numbers), (1, Declined))
        : from items in Gen.ArrayOf(Row(shape, depth + 1), shape[depth])
          from space in Space
          select "[" + space + string.Join("," + space, items) + "]";

    private static readonly Gen<string> Rectangular =
        from shape in Gen.Frequency(
            (12, Gen.Constant(new[] { 4 })),
            (3, Gen.Elements(new[] { 2 }, new[] { 2, 2 }, Array.Empty<int>(), new[] { 0 }, new[] { 1, 3 })))
        from count in Gen.Frequency((8, Gen.Constant(1)), (2, Gen.Choose(2, 4)), (1, Gen.Constant(0)))
        from rows in Gen.ArrayOf(Row(shape, 0), count)
        from space in Space
        select space + "[" + string.Join("," + space, rows) + "]" + space;

    /// <summary>Lines no request takes, lines of other shapes, strings, objects and raw Seldon messages.</summary>
    private static readonly Gen<string> Odd = Gen.Elements(
        "", "  ", "[[1, 2]", "[[1, 2],]", "{\"a\": 1}", "7", "\"x\"", "[[1, [2]], [3]]", "[[1, 2], [3]]", "[[1, 2], 3]", "[1, [2, 3]]",
        "[[1, 2]] 1", "[[01]]", "[[1e]]", "[[\u00e9]]", "[[\"\\ud800\"]]", "null", "[[1,2],[3,4]]  ", "[[[1]]]", "plain text",
        "\"caf\u00e9 \\\"q\\\"\"", "{\"data\":{\"ndarray\":[[1,2]]},\"meta\":{\"tags\":{\"a\":1}}}", "{\"data\":{\"names\":[\"x\"],\"tensor\":{\"shape\":[1,2],\"values\":[1,2]}}}",
        "{\"strData\":\"hi\",\"meta\":{\"puid\":\"p1\"}}", "{\"binData\":\"AAE=\"}", "{\"jsonData\":{\"k\":[1,\"\u00e9\"]},\"meta\":7}",
        "{\"request\":{\"data\":{\"ndarray\":[[1]]}},\"truth\":{\"data\":{\"ndarray\":[[2]]}},\"reward\":1}");

    private static readonly Gen<string> BatchIds = Gen.Frequency(
        (6, Gen.Elements("run-1", "37feee01-bfa8-400f-88e7-929e52261ac0", "")),
        (2, Gen.Elements("a\"b", "x\\y", "<tag>&'", "caf\u00e9", "tab\there", "\u00e9\u4e2d\ud83d\ude00", "line\nbreak", "\u007f\u0001")),
        (1, Gen.Elements("lone \ud800 surrogate")));

    private static readonly Gen<string> Ids = Gen.Frequency(
        (8, Gen.Choose(0, 1000).Select(n => RequestIds.Format((ulong)n))),
        (1, Gen.Elements("id\"1", "id\u00e9", "", new string('a', 64), new string('b', 65), "a b")));

    private static readonly Gen<EncoderSettings> Settings =
        from dataType in Gen.Frequency((6, Gen.Constant(DataType.Data)), (1, Gen.Elements(DataType.Json, DataType.Str, DataType.Raw)))
        from payloadType in Gen.Frequency((6, Gen.Constant(PayloadType.Ndarray)), (1, Gen.Elements(PayloadType.Tensor, PayloadType.Tftensor)))
        from method in Gen.Frequency((6, Gen.Constant(PredictionMethod.Predict)), (1, Gen.Constant(PredictionMethod.Feedback)))
        from batchId in BatchIds
        select new EncoderSettings(dataType, payloadType, method, batchId, 1);

    private static readonly Gen<Case> Cases =
        from settings in Settings
        from text in Gen.Frequency((10, Rectangular), (2, Odd))
        from asBytes in Gen.Frequency((3, Gen.Constant(true)), (1, Gen.Constant(false)))
        from index in Gen.Frequency((6, Gen.Choose(0, 100000).Select(n => (long)n)), (1, Gen.Elements(0L, 9L, 10L, long.MaxValue)))
        from id in Ids
        select new Case(settings, text, asBytes, index, id);

    [Fact]
    public void The_bytes_path_writes_what_the_writer_writes()
    {
        var taken = 0;
        var property = Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            taken += Agrees(c) ? 1 : 0;
            return true;
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true), property);

        // About half of the cases are ndarray lines of numbers with plain ids and a batch id the writer can write: a bytes
        // path that declined them all would agree with the writer's path by never running.
        Assert.True(taken >= 600, $"only {taken} of 3000 requests took the bytes path");
    }

    [Fact]
    public void A_line_of_numbers_takes_the_bytes_path_with_the_writers_bytes()
    {
        var c = new Case(new EncoderSettings(DataType.Data, PayloadType.Ndarray, PredictionMethod.Predict, "run-\"1\"", 1), "[[41, 19, 50, 83]]", true, 12, "id-1");
        Assert.True(Agrees(c));
        var body = Encode(c, bytes: true).RequestBody;
        Assert.Equal("{\"data\":{\"ndarray\":[[41,19,50,83]]},\"meta\":{\"tags\":{\"batch_id\":\"run-\\\"1\\\"\",\"batch_index\":12,\"batch_instance_id\":\"id-1\"}}}", body);
    }

    /// <summary>Whether the two paths agree (they must) and the bytes path was taken.</summary>
    private static bool Agrees(Case c)
    {
        var fast = Encode(c, bytes: true);
        var reference = Encode(c, bytes: false);
        Assert.Equal(Describe(reference), Describe(fast));
        Assert.Equal(reference.RequestUtf8, fast.RequestUtf8);
        return new MicroBatchEncoder(c.Settings, () => c.Id).TakesOneLineBytes(Line(c), c.Id);
    }

    private static EncodedBatch Encode(Case c, bool bytes)
    {
        var encoder = new MicroBatchEncoder(c.Settings, () => c.Id) { WritesOneLineBytes = bytes };
        var batches = encoder.Encode([Line(c)]);
        return Assert.Single(batches);
    }

    private static InputLine Line(Case c) =>
        c.AsBytes ? new InputLine(c.Index, Encoding.UTF8.GetBytes(c.Text).AsMemory()) : new InputLine(c.Index, c.Text);

    /// <summary>Everything a request carries for the run: its id, body and members (line, instance, rows, error, tags).</summary>
    private static string Describe(EncodedBatch b) =>
        $"{b.Puid} split={b.IsSplit} {b.RequestBody ?? "(none)"} " + string.Join(";", b.Members.Select(m =>
            $"{m.Index}/{m.InstanceId}/{m.Rows}/{m.EncodingError}/{m.UserTags?.ToJsonString()}"));

    internal sealed record Case(EncoderSettings Settings, string Text, bool AsBytes, long Index, string Id)
    {
        public override string ToString() => $"{Settings} line {Text} (bytes {AsBytes}) index {Index} id {Id}";
    }
}
