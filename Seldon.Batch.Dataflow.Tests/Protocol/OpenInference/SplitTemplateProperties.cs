using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

/// <summary>The lines of a split Open Inference answer filled into its template against the same lines written by the
/// line writer: the same bytes, whatever the answer (escapes and non-ASCII in names and values, several outputs, BYTES
/// and booleans, whitespace, parameters with the batch tags' names, any field order, an output without data, shapes that
/// are not per row) and whatever the lines (ids to escape or not, no id, unsent lines, instance ids from a request id and
/// an item or given whole, another inference id, rows of 0 to 3).</summary>
public sealed class SplitTemplateProperties
{
    private static readonly Gen<string> Names = Gen.Elements(
        "\"y\"", "\"output-0\"", "\"caf\\u00e9\"", "\"café\"", "\"q\\\"\\\\ \"", "\"<&>\"", "\"\\u2028\"", "\"\"", "\"z\\/\"");

    private static readonly Gen<string> Numbers = Gen.Elements("0", "1", "-2", "2.50", "-3e2", "1E-7", "123456789012345678901", "-0");

    private static readonly Gen<string> Strings = Gen.Elements("\"a\"", "\"\\u00e9\"", "\"é\"", "\"\"", "\"x y\"", "\"\\n\"");

    private static readonly Gen<string> Space = Gen.Frequency((6, Gen.Constant("")), (1, Gen.Elements(" ", "\n ")));

    /// <summary>A JSON value for a parameter or another field.</summary>
    private static readonly Gen<string> Values = Gen.OneOf(Names, Numbers, Gen.Elements("true", "null", "[1, \"a\"]", "{\"k\":\"\\u00e9\"}", "{}"));

    private static readonly Gen<string> Parameters =
        from count in Gen.Choose(0, 3)
        from keys in Gen.ArrayOf(Gen.Elements("\"rows\"", "\"batch_index\"", "\"batch_id\"", "\"inference_id\"", "\"batch_instance_id\"", "\"p\\u00e9\"", "\"n\""), count)
        from values in Gen.ArrayOf(Values, count)
        select "{" + string.Join(",", keys.Distinct().Select((k, i) => k + ":" + values[i])) + "}";

    private static Gen<T[]> Shuffled<T>(T[] items) =>
        from keys in Gen.ArrayOf(Gen.Choose(0, 1000), items.Length)
        select items.Zip(keys).OrderBy(p => p.Second).Select(p => p.First).ToArray();

    /// <summary>One output of an answer for <paramref name="total"/> rows (now and then not per row).</summary>
    private static Gen<string> Output(int total) =>
        from name in Names
        from kind in Gen.Choose(0, 3)
        from innerCount in Gen.Choose(0, 2)
        from inner in Gen.ArrayOf(Gen.Choose(1, 2), innerCount)
        from perRow in Gen.Frequency((12, Gen.Constant(true)), (1, Gen.Constant(false)))
        let first = perRow ? total : total + 1
        let count = first * inner.Aggregate(1, (a, d) => a * d)
        let datatype = kind switch { 0 => "\"FP64\"", 1 => "\"INT64\"", 2 => "\"BYTES\"", _ => "\"BOOL\"" }
        from values in Gen.ArrayOf(kind switch { 2 => Gen.Frequency((3, Strings), (1, Numbers)), 3 => Gen.Elements("true", "false"), _ => Numbers }, count)
        from space in Space
        from parameters in Gen.Frequency((3, Gen.Constant<string?>(null)), (1, Parameters.Select(p => (string?)p)))
        from hasData in Gen.Frequency((15, Gen.Constant(true)), (1, Gen.Constant(false)))
        let fields = new[]
        {
            "\"name\":" + name,
            "\"shape\":[" + string.Join("," + space, new[] { first }.Concat(inner)) + "]",
            "\"datatype\":" + datatype,
            parameters is null ? null : "\"parameters\":" + parameters,
            hasData ? "\"data\":[" + string.Join("," + space, values) + "]" : null,
        }
        from order in Shuffled(fields.OfType<string>().ToArray())
        select "{" + string.Join(",", order) + "}";

    private static Gen<string> Answer(int total) =>
        from outputCount in Gen.Choose(1, 3)
        from outputs in Gen.ArrayOf(Output(total), outputCount)
        from head in Gen.Elements<string[]>([], ["\"model_name\":\"m\""], ["\"model_name\":\"caf\\u00e9\"", "\"model_version\":\"1\""], ["\"model_version\":\"v\\\"2\""])
        from id in Gen.Elements<string?>(null, "\"id\":\"x\"", "\"id\":\"\\u00e9\"")
        from parameters in Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Parameters.Select(p => (string?)("\"parameters\":" + p))))
        from extra in Gen.Elements<string?>(null, "\"extra\":[1,\"\\/\"]", "\"zz\":{\"a\":\"\\ud83d\\ude00\"}")
        from space in Space
        let fields = head.Concat(new[] { id, parameters, extra }.OfType<string>()).Append("\"outputs\":[" + string.Join("," + space, outputs) + "]").ToArray()
        from order in Shuffled(fields)
        select "{" + string.Join("," + space, order) + "}";

    internal sealed record Line(int Rows, bool Sent, string? LineId, bool Whole, string? InferenceId);

    private static readonly Gen<Line> Lines =
        from rows in Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Constant(1)), (2, Gen.Choose(2, 3)))
        from sent in Gen.Frequency((8, Gen.Constant(true)), (1, Gen.Constant(false)))
        from lineId in Gen.Elements<string?>(null, null, "own", "é", "a\"b", new string('x', 70))
        from whole in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from inferenceId in Gen.Frequency((8, Gen.Constant<string?>("id1")), (1, Gen.Elements<string?>("other", null)))
        select new Line(rows, sent, lineId, whole, inferenceId);

    /// <summary>Lines of a request and an answer for their rows (see <see cref="Compose"/>).</summary>
    internal static readonly Gen<(Line[] Lines, string Answer, string RequestId)> Cases =
        from lineCount in Gen.Choose(1, 5)
        from lines in Gen.ArrayOf(Lines, lineCount)
        from requestId in Gen.Elements("id1", "r\u00e9q", "8f0c3a52-5d4e-4a8e-9a57-3f2b7c1d9e60")
        from answer in Answer(lines.Where(l => l.Sent).Sum(l => l.Rows))
        select (lines, answer, requestId);

    [Fact]
    public void Lines_filled_into_the_template_are_those_the_line_writer_writes()
    {
        var property = Prop.ForAll(Cases.ToArbitrary(), c =>
        {
            var (lines, answer, requestId) = c;
            Assert.Equal(Split(lines, answer, requestId, templates: false), Split(lines, answer, requestId, templates: true));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Lines_of_numbers_are_filled_into_the_template()
    {
        // The property above holds whichever path writes a line; this pins the lines and that they take the template,
        // which writes a merged line's instance id from the request id and the item, never making the string (the line
        // writer reads it, and so makes it).
        var answer = """{"model_name":"m","outputs":[{"name":"y","shape":[3,1],"datatype":"FP64","data":[1,2.5,-3]},{"name":"z","shape":[3],"datatype":"INT64","data":[4,5,6]}]}""";
        Line[] lines = [new(1, true, null, false, "id1"), new(2, true, "own", false, "id1")];

        var split = Split(lines, answer, "id1", templates: true, out var members);

        Assert.Equal(Split(lines, answer, "id1", templates: false, out var written), split);
        Assert.Equal(
            """1 11  {"model_name":"m","id":"own","parameters":{"batch_id":"run-1","batch_index":11,"batch_instance_id":"id1-item-1","inference_id":"id1"},"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[2.5,-3]},{"name":"z","shape":[2],"datatype":"INT64","data":[5,6]}]}""",
            "1 " + split[1]);
        Assert.All(members, m => Assert.Null(InstanceIdMade(m)));
        Assert.All(written, m => Assert.NotNull(InstanceIdMade(m)));
    }

    private static object? InstanceIdMade(BatchMember member) =>
        typeof(BatchMember).GetField("_instanceId", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(member);

    private static string[] Split(Line[] lines, string answer, string requestId, bool templates) => Split(lines, answer, requestId, templates, out _);

    private static string[] Split(Line[] lines, string answer, string requestId, bool templates, out List<BatchMember> members) =>
        [.. Compose(lines, answer, requestId, templates, out members).Select(r => $"{r.Index} {r.Failure} {r.Line}")];

    /// <summary>The results of <paramref name="answer"/> to a request of <paramref name="lines"/>, lines 10, 11…</summary>
    internal static InstanceResult[] Compose(Line[] lines, string answer, string requestId, bool templates, out List<BatchMember> members)
    {
        members = [.. lines.Select((l, k) => l.Whole
            ? new BatchMember(k + 10, $"{requestId}-whole-{k}")
            : new BatchMember(k + 10, requestId, k))];
        for (var k = 0; k < lines.Length; k++)
        {
            var (m, l) = (members[k], lines[k]);
            (m.Rows, m.EncodingError, m.LineId, m.InferenceId) = (l.Rows, l.Sent ? null : "bad line", l.LineId, l.Sent ? l.InferenceId : null);
        }

        var splitter = new InferenceResponseSplitter("run-1");
        var batch = new EncodedBatch(members, "{}", requestId) { IsSplit = lines.Count(l => l.Sent) > 1 };
        var results = templates ? splitter.Compose(batch, answer, null) : splitter.ComposeWithoutTemplates(batch, answer, null);
        return results;
    }
}
