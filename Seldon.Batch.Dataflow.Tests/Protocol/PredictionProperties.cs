using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

/// <summary><see cref="InstanceResult.Prediction"/>, the slice of its line the composer or splitter marked as it wrote it,
/// against the answer read back from the line by parsing it: the same bytes, for random answers of both protocols and
/// micro-batches of one line or several, written by the line writer or filled into a template; empty for an error record.</summary>
public sealed class PredictionProperties
{
    private static readonly string[] SeldonPayloads = ["data", "binData", "strData", "jsonData", "customData"];

    private static readonly Gen<string> Numbers = Gen.Elements("0", "1", "-2", "2.50", "-3e2", "1E-7", "123456789012345678901", "-0");

    private static readonly Gen<string> Space = Gen.Frequency((6, Gen.Constant("")), (1, Gen.Elements(" ", "\n ")));

    /// <summary>One row of an ndarray: numbers mostly (which lines take the template for), now and then strings or space.</summary>
    private static readonly Gen<string> Rows =
        from width in Gen.Choose(1, 3)
        from values in Gen.ArrayOf(Gen.Frequency((8, Numbers), (1, Gen.Elements("\"a\"", "\"caf\\u00e9\"", "true", "null"))), width)
        from space in Space
        select "[" + string.Join("," + space, values) + "]";

    private static readonly Gen<string?> Meta = Gen.Elements<string?>(
        null, "\"meta\":{}", "\"meta\":null", "\"meta\":{\"puid\":\"p\",\"tags\":{\"model\":\"caf\\u00e9\",\"batch_index\":7}}",
        "\"meta\":{\"requestPath\":{\"m\":\"img:1\"},\"metrics\":[]}");

    private static Gen<T[]> Shuffled<T>(T[] items) =>
        from keys in Gen.ArrayOf(Gen.Choose(0, 1000), items.Length)
        select items.Zip(keys).OrderBy(p => p.Second).Select(p => p.First).ToArray();

    /// <summary>A Seldon answer's <c>data</c> for <paramref name="total"/> rows: an ndarray (with names, now and then) or a
    /// tensor of rows of <c>width</c> values.</summary>
    private static Gen<string> Data(int total) =>
        from tensor in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from rows in Gen.ArrayOf(Rows, total)
        from width in Gen.Choose(1, 3)
        from values in Gen.ArrayOf(Numbers, total * width)
        from names in Gen.Elements<string?>(null, "\"names\":[\"y\"]", "\"names\":[\"caf\\u00e9\",\"t:1\"]")
        from space in Space
        let payload = tensor
            ? $"\"tensor\":{{\"shape\":[{total},{width}],\"values\":[{string.Join("," + space, values)}]}}"
            : $"\"ndarray\":[{string.Join("," + space, rows)}]"
        from order in Shuffled(new[] { names, payload }.OfType<string>().ToArray())
        select "{" + string.Join(",", order) + "}";

    /// <summary>A whole Seldon answer: its payload (<c>data</c> for <paramref name="total"/> rows, or, for a line sent
    /// alone, any payload), a status of success, meta, a field no protocol knows, in any order.</summary>
    private static Gen<string> SeldonAnswer(int total, bool alone) =>
        from kind in alone ? Gen.Choose(0, 4) : Gen.Constant(0)
        from data in Data(total)
        let payload = kind switch
        {
            0 => "\"data\":" + data,
            1 => "\"jsonData\":{\"k\":[1,\"\\u00e9\"],\"n\":null}",
            2 => "\"strData\":\"caf\\u00e9 \\\"x\\\"\"",
            3 => "\"binData\":\"AAEC\"",
            _ => "\"customData\":{\"@type\":\"t\",\"value\":\"AA==\"}",
        }
        from status in Gen.Elements<string?>(null, "\"status\":{\"code\":200,\"status\":\"SUCCESS\"}")
        from meta in Meta
        from extra in Gen.Elements<string?>(null, "\"extra\":[1,\"\\/\"]")
        from space in Space
        from order in Shuffled(new[] { payload, status, meta, extra }.OfType<string>().ToArray())
        select "{" + string.Join("," + space, order) + "}";

    private sealed record SeldonLine(int Rows, bool Sent, string? UserTags);

    private static readonly Gen<SeldonLine> SeldonLines =
        from rows in Gen.Frequency((6, Gen.Constant(1)), (2, Gen.Choose(2, 3)))
        from sent in Gen.Frequency((8, Gen.Constant(true)), (1, Gen.Constant(false)))
        from tags in Gen.Frequency((6, Gen.Constant<string?>(null)), (1, Gen.Elements<string?>("{\"u\":1}", "{\"model\":\"mine\",\"batch_id\":\"x\"}")))
        select new SeldonLine(rows, sent, tags);

    /// <summary>A micro-batch (one line, as at batch size 1, or up to 8) and an answer for the rows of its lines sent.</summary>
    private static readonly Gen<(SeldonLine[] Lines, bool Split, string Answer)> SeldonCases =
        from split in Gen.Frequency((1, Gen.Constant(false)), (3, Gen.Constant(true)))
        from count in split ? Gen.Choose(1, 8) : Gen.Constant(1)
        from lines in Gen.ArrayOf(SeldonLines, count).Select(l => split ? l : [l[0] with { Sent = true }])
        from answer in SeldonAnswer(lines.Where(l => l.Sent).Sum(l => l.Rows), alone: !split)
        select (lines, split, answer);

    [Fact]
    public void A_seldon_prediction_is_the_payload_of_its_line()
    {
        var property = Prop.ForAll(SeldonCases.ToArbitrary(), c =>
        {
            var members = c.Lines.Select((l, k) => new BatchMember(k + 20, "req", k)
            {
                Rows = l.Rows,
                EncodingError = l.Sent ? null : "invalid JSON: x",
                UserTags = l.UserTags is null ? null : System.Text.Json.Nodes.JsonNode.Parse(l.UserTags)!.AsObject(),
            }).ToList();
            var results = new OutputComposer("run-1").Compose(new EncodedBatch(members, "{}", "req") { IsSplit = c.Split }, c.Answer, null);

            AssertPredictions(results, SeldonPayloads);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void An_open_inference_prediction_is_the_outputs_of_its_line()
    {
        var property = Prop.ForAll(SplitTemplateProperties.Cases.ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (c, templates) =>
        {
            var results = SplitTemplateProperties.Compose(c.Lines, c.Answer, c.RequestId, templates, out _);

            AssertPredictions(results, ["outputs"]);
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void The_prediction_of_a_line_written_from_a_template_is_its_rows()
    {
        // Lines of numbers take the template (held to the line writer by the template properties): their predictions are
        // found through the holes before them, a batch_index and an instance id of another length on each line.
        var members = Enumerable.Range(0, 3).Select(k => new BatchMember(k * 45, "req", k) { Rows = k + 1 }).ToList();
        var answer = """{"meta":{"tags":{"m":1}},"data":{"names":["y"],"ndarray":[[1],[2],[3],[4],[5],[6]]}}""";

        var results = new OutputComposer("run-1").Compose(new EncodedBatch(members, "{}", "req") { IsSplit = true }, answer, null);

        Assert.Equal(
            ["""{"names":["y"],"ndarray":[[1]]}""", """{"names":["y"],"ndarray":[[2],[3]]}""", """{"names":["y"],"ndarray":[[4],[5],[6]]}"""],
            results.Select(r => Encoding.UTF8.GetString(r.Prediction.Span)));
    }

    /// <summary>Each prediction's bytes are the value of the first of <paramref name="answerFields"/> its parsed line holds
    /// (none for an answer without any), and an error record has none.</summary>
    private static void AssertPredictions(InstanceResult[] results, string[] answerFields)
    {
        foreach (var result in results)
        {
            var predicted = Encoding.UTF8.GetString(result.Prediction.Span);
            if (!result.Succeeded)
            {
                Assert.Equal("", predicted);
                continue;
            }

            using var line = JsonDocument.Parse(result.Line);
            var expected = answerFields
                .Select(name => line.RootElement.TryGetProperty(name, out var value) ? value.GetRawText() : null)
                .FirstOrDefault(raw => raw is not null) ?? "";
            Assert.Equal(expected, predicted);
        }
    }
}
