using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

/// <summary>The Open Inference splitter remembers the templates of the last split answer and takes them for an answer
/// with the same bytes but its <c>id</c> and its outputs' <c>data</c>: the lines it writes so are held byte for byte to
/// those of a splitter that has split nothing before (which records the templates from the answer, or writes the lines
/// with the line writer), whatever the answers (names and values to escape, several outputs, BYTES and booleans,
/// whitespace, parameters with the batch tags' names, any field order, ids of any kind) and the lines (ids to escape or
/// not, no id, unsent lines, other inference ids or none, rows of 0 to 3).</summary>
public sealed partial class RememberedInferenceTemplateProperties
{
    private static readonly Gen<string> Names = Gen.Elements("\"y\"", "\"output-0\"", "\"caf\\u00e9\"", "\"café\"", "\"q\\\"\\\\ \"", "\"<&>\"", "\"\"");

    private static readonly Gen<string> Numbers = Gen.Elements("0", "1", "-2", "2.50", "-3e2", "1E-7", "123456789012345678901", "-0");

    private static readonly Gen<string> Strings = Gen.Elements("\"a\"", "\"\\u00e9\"", "\"é\"", "\"\"", "\"x y\"");

    private static readonly Gen<string> Space = Gen.Frequency((6, Gen.Constant("")), (1, Gen.Elements(" ", "\n ")));

    private static readonly Gen<string> Parameters =
        from count in Gen.Choose(0, 3)
        from keys in Gen.ArrayOf(Gen.Elements("\"rows\"", "\"batch_index\"", "\"inference_id\"", "\"batch_instance_id\"", "\"p\\u00e9\""), count)
        from values in Gen.ArrayOf(Gen.OneOf(Names, Numbers, Gen.Elements("true", "null", "[1, \"a\"]", "{}")), count)
        select "{" + string.Join(",", keys.Distinct().Select((k, i) => k + ":" + values[i])) + "}";

    /// <summary>The answer's <c>id</c>: any JSON value (it is in no line).</summary>
    private static readonly Gen<string> Ids = Gen.Elements("\"nginx\"", "\"id1\"", "\"\\u00e9\"", "\"8f0c3a52-5d4e-4a8e-9a57-3f2b7c1d9e60\"", "17", "null", "{\"a\":[1]}");

    private static Gen<T[]> Shuffled<T>(T[] items) =>
        from keys in Gen.ArrayOf(Gen.Choose(0, 1000), items.Length)
        select items.Zip(keys).OrderBy(p => p.Second).Select(p => p.First).ToArray();

    /// <summary>An output's values: of which kind, how many per row, and whether its first dimension is the rows' (else
    /// one more, and the answer cannot be split).</summary>
    private sealed record Values(int Kind, int PerRow, bool RowsFirst, string Separator);

    /// <summary>An answer with <c>@rows@</c> (and <c>@rows1@</c>, one more) for the first dimensions, <c>@data0@</c>… for
    /// the outputs' values and <c>@id@</c> for its id.</summary>
    private sealed record Shape(string Text, Values[] Outputs);

    private static Gen<(string Text, Values Values)> Output(int number) =>
        from name in Names
        from kind in Gen.Choose(0, 3)
        from innerCount in Gen.Choose(0, 2)
        from inner in Gen.ArrayOf(Gen.Choose(1, 2), innerCount)
        from rowsFirst in Gen.Frequency((15, Gen.Constant(true)), (1, Gen.Constant(false)))
        from space in Space
        from separator in Space
        from parameters in Gen.Frequency((3, Gen.Constant<string?>(null)), (1, Parameters.Select(p => (string?)p)))
        from hasData in Gen.Frequency((15, Gen.Constant(true)), (1, Gen.Constant(false)))
        let datatype = kind switch { 0 => "\"FP64\"", 1 => "\"INT64\"", 2 => "\"BYTES\"", _ => "\"BOOL\"" }
        let fields = new[]
        {
            "\"name\":" + name,
            "\"shape\":[" + string.Join("," + space, new[] { rowsFirst ? "@rows@" : "@rows1@" }.Concat(inner.Select(d => d.ToString(CultureInfo.InvariantCulture)))) + "]",
            "\"datatype\":" + datatype,
            parameters is null ? null : "\"parameters\":" + parameters,
            hasData ? $"\"data\":[@data{number}@]" : null,
        }
        from order in Shuffled(fields.OfType<string>().ToArray())
        select ("{" + string.Join(",", order) + "}", new Values(kind, inner.Aggregate(1, (a, d) => a * d), rowsFirst, separator));

    private static readonly Gen<Shape> Shapes =
        from outputCount in Gen.Choose(1, 3)
        from outputs in Gen.CollectToArray(Enumerable.Range(0, outputCount).Select(Output))
        from head in Gen.Elements<string[]>([], ["\"model_name\":\"m\""], ["\"model_name\":\"caf\\u00e9\"", "\"model_version\":\"1\""], ["\"model_version\":\"v\\\"2\""])
        from hasId in Gen.Frequency((4, Gen.Constant(true)), (1, Gen.Constant(false)))
        from parameters in Gen.Frequency((2, Gen.Constant<string?>(null)), (1, Parameters.Select(p => (string?)("\"parameters\":" + p))))
        from extra in Gen.Elements<string?>(null, "\"extra\":[1,\"\\/\"]", "\"zz\":{\"a\":\"\\ud83d\\ude00\"}")
        from space in Space
        let list = outputs.ToArray()
        let fields = head.Concat(new[] { hasId ? "\"id\":@id@" : null, parameters, extra }.OfType<string>())
            .Append("\"outputs\":[" + string.Join("," + space, list.Select(o => o.Text)) + "]").ToArray()
        from order in Shuffled(fields)
        select new Shape("{" + string.Join("," + space, order) + "}", [.. list.Select(o => o.Values)]);

    /// <summary>A line of a request: its rows, whether it was sent, its own id, whether its instance id was given whole,
    /// and its inference id (the request's, mostly).</summary>
    private sealed record Line(int Rows, bool Sent, string? LineId, bool Whole, int InferenceId);

    private static readonly Gen<Line> Lines =
        from rows in Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Constant(1)), (2, Gen.Choose(2, 3)))
        from sent in Gen.Frequency((8, Gen.Constant(true)), (1, Gen.Constant(false)))
        from lineId in Gen.Elements<string?>(null, null, "own", "é", "a\"b", new string('x', 70))
        from whole in Gen.Frequency((4, Gen.Constant(false)), (1, Gen.Constant(true)))
        from inferenceId in Gen.Frequency((10, Gen.Constant(0)), (1, Gen.Choose(1, 3)))
        select new Line(rows, sent, lineId, whole, inferenceId);

    private static readonly Gen<Line[]> Requests = Gen.Choose(1, 5).SelectMany(n => Gen.ArrayOf(Lines, n));

    /// <summary>The second request: the first's rows with other ids mostly (an answer of the same shape), any lines now
    /// and then.</summary>
    private static Gen<Line[]> After(Line[] first) => Gen.Frequency(
        (3, Gen.CollectToArray(first.Select(l => Lines.Select(n => n with { Rows = l.Rows, Sent = l.Sent })))),
        (1, Requests));

    private static Gen<string> ValuesOf(int kind) => kind switch
    {
        2 => Gen.Frequency((3, Strings), (1, Numbers)),
        3 => Gen.Elements("true", "false"),
        _ => Gen.Frequency((12, Numbers), (1, Gen.Constant("\"1\""))),
    };

    /// <summary>The answer of <paramref name="shape"/> to <paramref name="lines"/>: random values and id.</summary>
    private static Gen<string> Answer(Shape shape, Line[] lines)
    {
        var rows = lines.Where(l => l.Sent).Sum(l => l.Rows);
        return from id in Ids
               from data in Gen.CollectToArray(shape.Outputs.Select(o => Gen.ArrayOf(ValuesOf(o.Kind), (o.RowsFirst ? rows : rows + 1) * o.PerRow)))
               select Fill(shape, rows, id, [.. data]);
    }

    private static string Fill(Shape shape, int rows, string id, string[][] data)
    {
        var text = shape.Text.Replace("@rows1@", (rows + 1).ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@rows@", rows.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("@id@", id, StringComparison.Ordinal);
        for (var k = 0; k < data.Length; k++)
        {
            text = text.Replace($"@data{k}@", string.Join("," + shape.Outputs[k].Separator, data[k]), StringComparison.Ordinal);
        }

        return text;
    }

    private static readonly Gen<(Line[] First, string FirstAnswer, Line[] Second, string SecondAnswer)> Pairs =
        from shape in Shapes
        from first in Requests
        from second in After(first)
        from firstAnswer in Answer(shape, first)
        from secondAnswer in Answer(shape, second)
        select (first, firstAnswer, second, secondAnswer);

    [Fact]
    public void An_answer_of_the_shape_of_the_last_takes_its_templates_with_the_same_bytes()
    {
        var property = Prop.ForAll(Pairs.ToArbitrary(), p =>
        {
            var warm = new InferenceResponseSplitter("run-1");
            Compose(warm, p.First, "req-a", p.FirstAnswer);

            var expected = Compose(new InferenceResponseSplitter("run-1"), p.Second, "req-b", p.SecondAnswer);
            Assert.Equal(Written(expected), Written(Compose(warm, p.Second, "req-b", p.SecondAnswer)));
            Assert.Equal(Written(expected), Written(Compose(new InferenceResponseSplitter("run-1"), p.Second, "req-b", p.SecondAnswer, templates: false)));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1500).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Answers_of_other_shapes_one_after_another_are_written_as_alone()
    {
        // One splitter splits answers of random shapes in turn (remembered templates must never serve another shape).
        var warm = new InferenceResponseSplitter("run-1");
        var property = Prop.ForAll(Pairs.ToArbitrary(), p =>
        {
            Assert.Equal(Written(Compose(new InferenceResponseSplitter("run-1"), p.First, "req", p.FirstAnswer)), Written(Compose(warm, p.First, "req", p.FirstAnswer)));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(1000).WithQuietOnSuccess(true), property);
    }

    /// <summary>The first answer, then the second: each differs from the first in one place besides its id and data.</summary>
    public static TheoryData<string, string> OneChange => new()
    {
        { """{"model_name":"m","id":"a","outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""", """{"model_name":"n","id":"b","outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""" },
        { """{"model_name":"m","model_version":"1","outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""", """{"model_name":"m","model_version":"2","outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""" },
        { """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""", """{"outputs":[{"name":"z","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""" },
        { """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""", """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP32","data":[1,2]}]}""" },
        { """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""", """{"outputs":[{"name":"y","shape":[2],"datatype":"FP64","data":[1,2]}]}""" },
        { """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""", """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]},{"name":"z","shape":[2],"datatype":"FP64","data":[3,4]}]}""" },
        { """{"parameters":{"p":1},"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""", """{"parameters":{"p":2},"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""" },
        { """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}],"x":1}""", """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}],"x":2}""" },
        { """{"id":"a","outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}]}""", """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2]}],"id":"a"}""" },
        { """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2],"parameters":{"c":"a"}}]}""", """{"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[1,2],"parameters":{"c":"b"}}]}""" },
    };

    [Theory]
    [MemberData(nameof(OneChange))]
    public void An_answer_that_differs_outside_its_id_and_data_takes_templates_of_its_own(string first, string second)
    {
        var splitter = new InferenceResponseSplitter("run-1");
        Line[] lines = [new(1, true, null, false, 0), new(1, true, "own", false, 0)];
        Compose(splitter, lines, "req-a", first);

        var results = Compose(splitter, lines, "req-b", second);

        Assert.Equal(Written(Compose(new InferenceResponseSplitter("run-1"), lines, "req-b", second)), Written(results));
    }

    [Fact]
    public void An_answer_of_the_same_shape_records_no_template_and_fills_in_its_own_ids()
    {
        var splitter = new InferenceResponseSplitter("run-1");
        Line[] lines = [new(1, true, null, false, 0), new(2, true, "own", false, 0)];
        var answer = """{"model_name":"m","id":"@id@","outputs":[{"name":"y","shape":[3,1],"datatype":"FP64","data":[@data@]}]}""";
        Compose(splitter, lines, "req-a", answer.Replace("@id@", "req-a").Replace("@data@", "1,2,3"));
        var remembered = Remembered(splitter);

        var results = Compose(splitter, lines, "req-b", answer.Replace("@id@", "req-b").Replace("@data@", "4,5.5,-6"));

        Assert.NotNull(remembered);
        Assert.Same(remembered, Remembered(splitter));
        Assert.Equal(
            [
                """{"model_name":"m","parameters":{"batch_id":"run-1","batch_index":10,"batch_instance_id":"req-b-item-0","inference_id":"req-b"},"outputs":[{"name":"y","shape":[1,1],"datatype":"FP64","data":[4]}]}""",
                """{"model_name":"m","id":"own","parameters":{"batch_id":"run-1","batch_index":11,"batch_instance_id":"req-b-item-1","inference_id":"req-b"},"outputs":[{"name":"y","shape":[2,1],"datatype":"FP64","data":[5.5,-6]}]}""",
            ],
            results.Select(r => r.Line));
    }

    [Fact]
    public void A_one_line_answer_of_the_same_shape_records_no_template_and_keeps_its_output_whole()
    {
        // Batch size 1: the answer is not cut, its outputs are written whole with their data a hole.
        var splitter = new InferenceResponseSplitter("run-1");
        Line[] line = [new(1, true, "own", false, 0)];
        var answer = """{"model_name":"m","id":"@id@","outputs":[{"name":"y","shape":[1,2],"datatype":"FP64","data":[@data@]}]}""";
        Compose(splitter, line, "req-a", answer.Replace("@id@", "req-a").Replace("@data@", "[1,2]"));
        var remembered = Remembered(splitter, "_rememberedWhole");

        var result = Assert.Single(Compose(splitter, line, "req-b", answer.Replace("@id@", "req-b").Replace("@data@", "[4.5,-6]")));

        Assert.NotNull(remembered);
        Assert.Same(remembered, Remembered(splitter, "_rememberedWhole"));
        Assert.Equal(
            """{"model_name":"m","id":"own","parameters":{"batch_id":"run-1","batch_index":10,"batch_instance_id":"req-b-item-0","inference_id":"req-b"},"outputs":[{"name":"y","shape":[1,2],"datatype":"FP64","data":[[4.5,-6]]}]}""",
            result.Line);
        Assert.Equal("""[{"name":"y","shape":[1,2],"datatype":"FP64","data":[[4.5,-6]]}]""", System.Text.Encoding.UTF8.GetString(result.Prediction.Span));
    }

    private static object? Remembered(InferenceResponseSplitter splitter, string field = "_remembered") =>
        typeof(InferenceResponseSplitter).GetField(field, System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(splitter);

    /// <summary>The results of <paramref name="answer"/> to a request of <paramref name="lines"/>, lines 10, 11…, sent as
    /// <paramref name="requestId"/> (a line's inference id 0 is the request's).</summary>
    private static InstanceResult[] Compose(InferenceResponseSplitter splitter, Line[] lines, string requestId, string answer, bool templates = true)
    {
        var batch = Batch(lines, requestId);
        return templates ? splitter.Compose(batch, answer, null) : splitter.ComposeWithoutTemplates(batch, answer, null);
    }

    /// <summary>The request of <paramref name="lines"/>, lines 10, 11…, sent as <paramref name="requestId"/>.</summary>
    private static EncodedBatch Batch(Line[] lines, string requestId)
    {
        string?[] inferenceIds = [requestId, "other", "é", null];
        var members = lines.Select((l, k) => l.Whole ? new BatchMember(k + 10, $"{requestId}-whole-{k}") : new BatchMember(k + 10, requestId, k)).ToList();
        for (var k = 0; k < lines.Length; k++)
        {
            var (m, l) = (members[k], lines[k]);
            (m.Rows, m.EncodingError, m.LineId, m.InferenceId) = (l.Rows, l.Sent ? null : "bad line", l.LineId, l.Sent ? inferenceIds[l.InferenceId] : null);
        }

        return new EncodedBatch(members, "{}", requestId) { IsSplit = lines.Count(l => l.Sent) > 1 };
    }

    /// <summary>The lines with what a result says of its answer: its line, its prediction, whether it failed.</summary>
    private static string[] Written(InstanceResult[] results) =>
        [.. results.Select(r => $"{r.Index} {r.Failure} {r.Line} | {System.Text.Encoding.UTF8.GetString(r.Prediction.Span)}")];
}
