using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The live table reads each record told where the model's answer lies in it
/// (<see cref="PredictionRecord.Read(ReadOnlySpan{byte}, int, int, List{PredictionCell})"/>): a record that is its meta and
/// the answer alone is read from the answer's bytes, and an answer of the shape of the one before has only its values
/// read. Held here to the whole record's reading (<see cref="PredictionRecord.Read(ReadOnlySpan{byte}, List{PredictionCell})"/>
/// by a reader of its own) and to the rows <see cref="PredictionColumns"/> fills from it, over runs of random records:
/// numbers, text, literals, nested values, records of the same shape one after another, error records, records with
/// something beside their meta and answer, answers placed wrong, and a new column after the first records.</summary>
public sealed class PredictionRecordAnswerProperties
{
    private static readonly Gen<string> Numbers = Gen.Elements("0", "1", "-2", "2.50", "-3e2", "1E-7", "123456789012345678901", "-0", "1e400", "41");

    /// <summary>A value of an ndarray row: numbers mostly, now and then text, a literal, a list or an object.</summary>
    private static readonly Gen<string> Values = Gen.Frequency(
        (12, Numbers),
        (2, Gen.Elements("\"a\"", "\"caf\\u00e9\"", "\"NaN\"", "\"-Infinity\"", "\"]\"", "true", "false", "null")),
        (1, Gen.Elements("[1,2]", "{\"x\":[2]}", "[]", "{}")));

    /// <summary>A meta: a run's (its tags differing from record to record in a digit or two), or others, some as long as
    /// each other with their braces in other places (<c>{"a":"x","b":1}</c> and <c>{"a":"x"}</c> before <c>"b":1,</c>).</summary>
    private static readonly Gen<string> Metas = Gen.Frequency(
        (4, from index in Gen.Choose(0, 12)
            from id in Gen.Elements("q-1", "q-2", "r}1", "r\\\\1", "r\\\"")
            select $$$"""{"tags":{"batch_id":"b","batch_index":{{{index}}},"batch_instance_id":"{{{id}}}-item-{{{index % 10}}}"}}"""),
        (3, Gen.Elements(
            "{}", "{\"tags\":{\"a\":\"}\\\"{\",\"n\":[1,{\"x\":\"}\"}]}}", "{\"puid\":\"p\",\"tags\":{\"model\":\"m\"},\"metrics\":[]}",
            "{\"tags\":{\"x\":\"\\\\\"}}", "{\"a\":\"x\",\"b\":1}", "{\"a\":\"x\"}", "{\"a\":\"x\",\"b\":\"}\"}", "{\"a\":\"}\",\"b\":\"x\"}")));

    private static readonly Gen<string?> Names = Gen.Elements<string?>(null, "[\"t:0\"]", "[\"a\",\"b\"]", "[\"a\",\"b\",\"c\"]", "[\"caf\\u00e9\",\"t:1\"]", "[\"a\",\"a\"]");

    /// <summary>The skeleton of a <c>data</c> answer, <c>@row@</c> where its row's values go, and how many values it has.</summary>
    private static readonly Gen<(string Skeleton, int Width)> DataSkeletons =
        from names in Names
        from width in Gen.Choose(1, 3)
        from form in Gen.Frequency((6, Gen.Constant("[[@row@]]")), (2, Gen.Constant("[@row@]")), (1, Gen.Elements("[[@row@],[@row@]]", "[[@row@],1]", "[]")))
        from namesFirst in Gen.Elements(true, false)
        from extra in Gen.Elements<string?>(null, "\"tensor\":{\"shape\":[1],\"values\":[9]}", "\"tftensor\":{\"dtype\":\"DT_DOUBLE\"}", "\"ndarray\":[[5]]", "\"names\":[\"z\"]")
        let payload = "\"ndarray\":" + form
        let parts = new[] { names is null ? null : "\"names\":" + names, payload }
        let ordered = (namesFirst ? parts : parts.Reverse()).Append(extra).OfType<string>()
        select ("{" + string.Join(",", ordered) + "}", width);

    /// <summary>An answer other than data: text, JSON, or a field that is not an answer.</summary>
    private static readonly Gen<(string Field, string Answer)> OtherAnswers = Gen.Elements(
        ("strData", "\"text\""), ("binData", "\"AAE=\""), ("strData", "5"), ("jsonData", "{\"a\":[1,\"b\"]}"), ("customData", "\"c\""),
        ("outputs", "[{\"name\":\"o\",\"datatype\":\"FP32\",\"data\":[1]}]"), ("status", "{\"status\":1,\"reason\":\"r\"}"), ("extra", "[1]"), ("data", "5"));

    /// <summary>What the record holds beside its meta and answer: nothing (a run's record), or a field before or after.</summary>
    private static readonly Gen<(string Before, string After)> Around = Gen.Frequency(
        (8, Gen.Constant(("", ""))),
        (1, Gen.Elements(
            ("\"status\":{\"code\":500,\"reason\":\"no\",\"status\":1},", ""), ("\"status\":{\"status\":0},", ""), ("\"extra\":1,", ""), ("\"b\":1,", ""),
            ("", ",\"status\":{\"status\":1}"), ("", ",\"strData\":\"s\""), ("", ",\"data\":{\"ndarray\":[[3]]}"))));

    private sealed record Record(string Line, int AnswerStart, int AnswerLength);

    /// <summary>One record: its meta (or none), the answer under its field, what lies around them, and where the answer is
    /// said to be (where it is, mostly; now and then nowhere, or one byte off).</summary>
    private static Gen<Record> RecordOf(string field, string answer) =>
        from meta in Gen.Frequency((8, Metas.Select(m => (string?)m)), (1, Gen.Constant<string?>(null)))
        from around in Around
        from told in Gen.Frequency((12, Gen.Constant(0)), (1, Gen.Elements(-1, 1, -100)))
        let head = "{" + (meta is null ? "" : "\"meta\":" + meta + ",") + around.Before + "\"" + field + "\":"
        let line = head + answer + around.After + "}"
        select told == -100 ? new Record(line, -1, 0) : new Record(line, Encoding.UTF8.GetByteCount(head) + told, Encoding.UTF8.GetByteCount(answer));

    /// <summary>Records of one data shape with new values, mostly; now and then a record of another shape among them.</summary>
    private static readonly Gen<Record[]> Runs =
        from shape in DataSkeletons
        from count in Gen.Choose(1, 8)
        from records in Gen.ArrayOf(
            Gen.Frequency(
                (6, from values in Gen.ArrayOf(Values, shape.Width) from r in RecordOf("data", shape.Skeleton.Replace("@row@", string.Join(",", values), StringComparison.Ordinal)) select r),
                (1, from other in DataSkeletons from values in Gen.ArrayOf(Values, other.Width) from r in RecordOf("data", other.Skeleton.Replace("@row@", string.Join(",", values), StringComparison.Ordinal)) select r),
                (1, from other in OtherAnswers from r in RecordOf(other.Field, other.Answer) select r),
                (1, from values in Gen.ArrayOf(Values, shape.Width + 1) from r in RecordOf("data", shape.Skeleton.Replace("@row@", string.Join(",", values), StringComparison.Ordinal)) select r)),
            count)
        select records;

    [Fact]
    public void A_record_read_from_its_answer_gives_the_cells_and_the_row_of_the_whole_record()
    {
        var property = Prop.ForAll(Runs.ToArbitrary(), Gen.Elements(true, false).ToArbitrary(), (records, withValues) =>
        {
            var told = new PredictionRecord(withValues);
            var whole = new PredictionRecord(withValues);
            var (toldColumns, wholeColumns) = (new PredictionColumns(), new PredictionColumns());
            List<PredictionCell> toldCells = [], wholeCells = [];
            foreach (var record in records)
            {
                var bytes = Encoding.UTF8.GetBytes(record.Line);
                var expected = Outcome(() => whole.Read(bytes, wholeCells));
                var actual = Outcome(() => told.Read(bytes, record.AnswerStart, record.AnswerLength, toldCells));
                Assert.Equal(expected, actual);
                Assert.Equal(Shown(wholeCells), Shown(toldCells));

                // The rows: a new column (or type) after the first records is seen alike, and the rows filled alike.
                Assert.Equal(wholeColumns.Learn(wholeCells), toldColumns.Learn(toldCells));
                var (wholeRow, toldRow) = (new object?[wholeColumns.Count], new object?[toldColumns.Count]);
                wholeColumns.Fill(wholeCells, wholeRow, 0);
                toldColumns.Fill(toldCells, toldRow, 0);
                Assert.Equal(Shown(wholeRow), Shown(toldRow));
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true), property);
    }

    [Theory]
    // As long as the meta before, but its braces elsewhere: the meta ends sooner, and a failure lies between it and the answer.
    [InlineData("""{"meta":{"a":"x","status":{"status":1}},"data":{"ndarray":[[1]]}}""", """{"meta":{"a":"x"},"status":{"status":1},"data":{"ndarray":[[1]]}}""")]
    [InlineData("""{"meta":{"a":"x","strData":"s"},"data":{"ndarray":[[1]]}}""", """{"meta":{"a":"x"},"strData":"s","data":{"ndarray":[[1]]}}""")]
    // Two bytes apart: a brace where the meta before had a space, and a space where it had its closing brace.
    [InlineData("""{"meta":{"a":{"b":1} ,"status":{"status":1}},"data":{"ndarray":[[1]]}}""", """{"meta":{"a":{"b":1}},"status":{"status":1} ,"data":{"ndarray":[[1]]}}""")]
    public void A_meta_as_long_as_the_one_before_with_its_braces_elsewhere_is_matched_anew(string first, string second)
    {
        var told = new PredictionRecord();
        foreach (var line in new[] { first, second })
        {
            var bytes = Encoding.UTF8.GetBytes(line);
            var start = line.IndexOf("\"data\":", StringComparison.Ordinal) + "\"data\":".Length;
            var (toldCells, wholeCells) = (new List<PredictionCell>(), new List<PredictionCell>());
            Assert.Equal(new PredictionRecord().Read(bytes, wholeCells), told.Read(bytes, start, line.Length - 1 - start, toldCells));
            Assert.Equal(Shown(wholeCells), Shown(toldCells));
        }
    }

    [Fact]
    public void A_record_that_is_not_json_fails_alike()
    {
        const string line = """{"meta":{},"data":{"ndarray":[[1,]]}}""";
        var bytes = Encoding.UTF8.GetBytes(line);
        var start = line.IndexOf("{\"ndarray", StringComparison.Ordinal);
        var whole = Assert.Throws<InvalidDataException>(() => new PredictionRecord().Read(bytes, []));
        var told = Assert.Throws<InvalidDataException>(() => new PredictionRecord().Read(bytes, start, line.Length - 1 - start, []));
        Assert.Equal(whole.Message, told.Message);
    }

    [Fact]
    public void Records_of_one_shape_after_the_first_give_their_own_values()
    {
        // The values alone are read once the shape is known: each record still gives its own.
        var reader = new PredictionRecord();
        var cells = new List<PredictionCell>();
        foreach (var value in new[] { "1", "2.5", "\"x\"", "null", "true", "-3e2" })
        {
            var line = $$$"""{"meta":{"tags":{"batch_index":1}},"data":{"names":["t:0"],"ndarray":[[{{{value}}}]]}}""";
            var start = line.IndexOf("{\"names", StringComparison.Ordinal);
            Assert.Null(reader.Read(Encoding.UTF8.GetBytes(line), start, line.Length - 1 - start, cells));
            var expected = new List<PredictionCell>();
            new PredictionRecord().Read(Encoding.UTF8.GetBytes(line), expected);
            Assert.Equal(Shown(expected), Shown(cells));
        }
    }

    private static string Outcome(Func<string?> read)
    {
        try
        {
            return "error: " + read();
        }
        catch (InvalidDataException ex)
        {
            return "refused: " + ex.Message;
        }
    }

    private static string Shown(IEnumerable<PredictionCell> cells) => string.Join(" | ", cells.Select(c => c.Name + "=" + Shown(c.Value)));

    private static string Shown(object?[] row) => string.Join(" | ", row.Select(Shown));

    private static string Shown(object? value) => value switch
    {
        null => "null",
        double d => "d:" + d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
        bool b => "b:" + b,
        string s => "s:" + s,
        object?[] list => "[" + string.Join(",", list.Select(Shown)) + "]",
        _ => "?" + value,
    };
}
