using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>A table row made into the model's line: per value type, per protocol and layout, exactly; a value the line
/// cannot carry fails the row only, naming the column and the row; columns no model input can be are refused.</summary>
public sealed class RowLinesTests
{
    private static readonly RowColumn[] Mixed =
    [
        new("a", typeof(long)), new("b", typeof(double)), new("s", typeof(string)), new("t", typeof(bool)),
        new("d", typeof(decimal)), new("day", typeof(DateOnly)), new("at", typeof(DateTime)),
    ];

    private static readonly object?[] MixedRow =
    [
        3L, 0.5, "x\"y é", true, 1.50m, new DateOnly(2024, 2, 29), new DateTime(2024, 1, 2, 3, 4, 5, 123, DateTimeKind.Utc),
    ];

    private static readonly RowColumn[] Numbers = [new("a", typeof(long)), new("b", typeof(double)), new("c", typeof(int))];

    internal static RowLines Seldon(IReadOnlyList<RowColumn> columns, PayloadType payload = PayloadType.Ndarray) =>
        RowLines.Create(columns, EncodingOf(InferenceProtocol.Seldon, payload: payload));

    internal static RowLines V2(IReadOnlyList<RowColumn> columns, V2InputLayout layout, string inputName = "", string datatype = "") =>
        RowLines.Create(columns, EncodingOf(InferenceProtocol.V2, layout, inputName: inputName, datatype: datatype));

    private static RowEncoding EncodingOf(
        InferenceProtocol protocol, V2InputLayout layout = V2InputLayout.Columns, PayloadType payload = PayloadType.Ndarray, string inputName = "", string datatype = "") =>
        new(protocol, payload, inputName, datatype, layout);

    /// <summary>What the Seldon codec sends for <paramref name="line"/> alone, its meta (the batch tags) aside.</summary>
    internal static string SeldonBody(InputLine line)
    {
        var body = Body(line, InferenceProtocol.Seldon);
        return body[..body.IndexOf(",\"meta\":", StringComparison.Ordinal)] + "}";
    }

    /// <summary>What the Open Inference codec sends for <paramref name="line"/> alone, its request id aside.</summary>
    internal static string V2Body(InputLine line)
    {
        var body = Body(line, InferenceProtocol.V2);
        Assert.StartsWith("{\"id\":", body);
        return "{" + body[(body.IndexOf(',', StringComparison.Ordinal) + 1)..];
    }

    private static string Body(InputLine line, InferenceProtocol protocol)
    {
        Assert.Null(line.Failure);
        var codec = BatchCodecs.For(new PredictionBlockOptions { DataType = DataType.Raw }, protocol, "b");
        return Assert.Single(codec.Encode([line])).RequestBody!;
    }

    [Fact]
    public void Seldon_ndarray_line_holds_the_names_and_one_row_of_every_type()
    {
        var line = Seldon(Mixed).Line(7, MixedRow);

        Assert.Null(line.Failure);
        Assert.Equal(7, line.Index);
        Assert.Equal(
            """{"data":{"names":["a","b","s","t","d","day","at"],"ndarray":[[3,0.5,"x\"y é",true,1.50,"2024-02-29","2024-01-02T03:04:05.123Z"]]}}""",
            SeldonBody(line));
    }

    [Fact]
    public void Seldon_tensor_line_is_one_row_of_k_numbers()
    {
        var line = Seldon(Numbers, PayloadType.Tensor).Line(0, [-4L, 2.0, 9]);

        Assert.Equal("""{"data":{"names":["a","b","c"],"tensor":{"shape":[1,3],"values":[-4,2.0,9]}}}""", SeldonBody(line));
    }

    [Fact]
    public void V2_columns_line_is_one_input_per_column_typed_by_its_column_with_the_pandas_content_type()
    {
        var line = V2(Mixed, V2InputLayout.Columns).Line(0, MixedRow);

        Assert.Equal(
            """{"parameters":{"content_type":"pd"},"inputs":[""" +
            """{"name":"a","shape":[1],"datatype":"INT64","data":[3]},""" +
            """{"name":"b","shape":[1],"datatype":"FP64","data":[0.5]},""" +
            """{"name":"s","shape":[1],"datatype":"BYTES","parameters":{"content_type":"str"},"data":["x\"y é"]},""" +
            """{"name":"t","shape":[1],"datatype":"BOOL","data":[true]},""" +
            """{"name":"d","shape":[1],"datatype":"FP64","data":[1.50]},""" +
            """{"name":"day","shape":[1],"datatype":"BYTES","parameters":{"content_type":"str"},"data":["2024-02-29"]},""" +
            """{"name":"at","shape":[1],"datatype":"BYTES","parameters":{"content_type":"str"},"data":["2024-01-02T03:04:05.123Z"]}""" +
            """]}""",
            V2Body(line));
    }

    [Fact]
    public void V2_tensor_line_is_one_input_of_shape_1_k_named_input_0_unless_named()
    {
        Assert.Equal(
            """{"inputs":[{"name":"input-0","shape":[1,3],"datatype":"FP64","data":[1,2.5,3]}]}""",
            V2Body(V2(Numbers, V2InputLayout.Tensor).Line(0, [1L, 2.5, 3])));
        Assert.Equal(
            """{"inputs":[{"name":"features","shape":[1,2],"datatype":"INT64","data":[1,2]}]}""",
            V2Body(V2([new("a", typeof(long)), new("b", typeof(int))], V2InputLayout.Tensor, "features").Line(0, [1L, 2])));
        Assert.Equal(
            """{"inputs":[{"name":"x","shape":[1,2],"datatype":"BYTES","parameters":{"content_type":"str"},"data":["p","q"]}]}""",
            V2Body(V2([new("a", typeof(string)), new("b", typeof(string))], V2InputLayout.Tensor, "x").Line(0, ["p", "q"])));
        // A datatype given (or read from the model's metadata) is the tensor's.
        Assert.Contains("\"datatype\":\"FP32\"", V2Body(V2(Numbers, V2InputLayout.Tensor, "x", "FP32").Line(0, [1L, 2.5, 3])));
    }

    [Theory]
    [InlineData(typeof(long), "INT64")]
    [InlineData(typeof(int), "INT64")]
    [InlineData(typeof(short), "INT64")]
    [InlineData(typeof(byte), "INT64")]
    [InlineData(typeof(ulong), "UINT64")]
    [InlineData(typeof(double), "FP64")]
    [InlineData(typeof(float), "FP64")]
    [InlineData(typeof(decimal), "FP64")]
    [InlineData(typeof(bool), "BOOL")]
    [InlineData(typeof(string), "BYTES")]
    [InlineData(typeof(DateOnly), "BYTES")]
    [InlineData(typeof(DateTime), "BYTES")]
    public void V2_datatype_of_a_column_follows_its_type(Type type, string datatype)
    {
        var value = type == typeof(string) ? "v" : type == typeof(DateOnly) ? new DateOnly(2020, 1, 1) : type == typeof(DateTime) ? new DateTime(2020, 1, 1)
            : type == typeof(bool) ? true : Convert.ChangeType(7, type, CultureInfo.InvariantCulture);
        using var line = JsonDocument.Parse(V2Body(V2([new("c", type)], V2InputLayout.Columns).Line(0, [value])));

        Assert.Equal(datatype, line.RootElement.GetProperty("inputs")[0].GetProperty("datatype").GetString());
    }

    [Theory]
    [InlineData(2.0, "2.0")]
    [InlineData(-0.0, "-0.0")]
    [InlineData(0.1, "0.1")]
    [InlineData(1e16, "1e+16")]
    [InlineData(1.5e-7, "1.5e-07")]
    [InlineData(double.MaxValue, "1.7976931348623157e+308")]
    [InlineData(5e-324, "5e-324")]
    public void Doubles_are_written_as_Python_writes_them(double value, string text)
    {
        Assert.Equal("{\"data\":{\"names\":[\"b\"],\"ndarray\":[[" + text + "]]}}", SeldonBody(Seldon([new("b", typeof(double))]).Line(0, [value])));
    }

    [Fact]
    public void Floats_decimals_and_timestamps_keep_what_they_hold()
    {
        var columns = new RowColumn[] { new("f", typeof(float)), new("m", typeof(decimal)), new("local", typeof(DateTime)), new("naive", typeof(DateTime)), new("u", typeof(ulong)) };
        var line = Seldon(columns).Line(0, [0.1f, 1234567890.0123456789m, new DateTime(2024, 5, 6, 7, 8, 9, DateTimeKind.Unspecified), new DateTime(2024, 5, 6), ulong.MaxValue]);

        // A float as the shortest digits that read back as that float (not its widened double 0.10000000149011612); a
        // decimal digit for digit; a timestamp without a zone as it is, whole seconds without a fraction.
        Assert.Equal("""{"data":{"names":["f","m","local","naive","u"],"ndarray":[[0.1,1234567890.0123456789,"2024-05-06T07:08:09","2024-05-06T00:00:00",18446744073709551615]]}}""", SeldonBody(line));
    }

    [Theory]
    [InlineData(null, "is null")]
    [InlineData(double.NaN, "is NaN")]
    [InlineData(double.PositiveInfinity, "is Infinity")]
    [InlineData(double.NegativeInfinity, "is -Infinity")]
    [InlineData("abc", "is 'abc', not a number")]
    public void A_value_the_line_cannot_carry_fails_the_row_naming_the_column_and_the_row(object? value, string problem)
    {
        foreach (var lines in new[] { Seldon(Numbers), Seldon(Numbers, PayloadType.Tensor), V2(Numbers, V2InputLayout.Columns), V2(Numbers, V2InputLayout.Tensor) })
        {
            var line = lines.Line(41, [1L, value, 3]);

            Assert.Equal(41, line.Index);
            Assert.Null(line.Row);
            Assert.StartsWith("invalid row: column 'b' of row 41 " + problem, line.Failure);
            // The next row is made as if nothing happened (the writer is reused).
            Assert.Null(lines.Line(42, [1L, 2.0, 3]).Failure);
        }
    }

    [Fact]
    public void A_value_that_does_not_fit_a_given_tensor_datatype_fails_the_row()
    {
        var lines = V2([new("a", typeof(long)), new("b", typeof(long))], V2InputLayout.Tensor, "x", "INT8");

        Assert.StartsWith("invalid row: column 'b' of row 4 does not fit the tensor's datatype: ", lines.Line(4, [1L, 300L]).Failure);
        Assert.Equal("""{"inputs":[{"name":"x","shape":[1,2],"datatype":"INT8","data":[1,-3]}]}""", V2Body(lines.Line(5, [1L, -3L])));
    }

    [Fact]
    public void A_float_NaN_and_a_text_in_an_integer_column_fail_the_row()
    {
        var lines = Seldon([new("f", typeof(float)), new("n", typeof(long))]);

        Assert.StartsWith("invalid row: column 'f' of row 0 is NaN", lines.Line(0, [float.NaN, 1L]).Failure);
        Assert.StartsWith("invalid row: column 'n' of row 1 is '1.5', not an integer", lines.Line(1, [1f, "1.5"]).Failure);
        // Integers of any width fit an integer column (a CSV reader may give int where the column says long).
        Assert.Null(lines.Line(2, [1f, 7]).Failure);
    }

    [Fact]
    public void Text_that_is_not_Unicode_is_sent_with_the_replacement_character_as_invalid_UTF_8_lines_are()
    {
        Assert.Equal("""{"data":{"names":["s"],"ndarray":[["\uFFFD alone"]]}}""", SeldonBody(Seldon([new("s", typeof(string))]).Line(3, ["\ud800 alone"])));
    }

    [Theory]
    [InlineData(typeof(byte[]), "binary data")]
    [InlineData(typeof(object[]), "a list")]
    [InlineData(typeof(TimeSpan), "a duration")]
    [InlineData(typeof(Dictionary<string, object>), "a nested value")]
    public void Columns_no_model_input_can_be_are_refused(Type type, string what)
    {
        var refusal = RowLines.Refusal([new("ok", typeof(long)), new("bad", type)], EncodingOf(InferenceProtocol.Seldon));

        Assert.StartsWith($"column 'bad' holds {what}", refusal);
        Assert.Contains("which cannot be a model input (only numbers, booleans, text, dates and timestamps can)", refusal);
    }

    [Fact]
    public void Seldon_tensors_take_numbers_only_and_one_V2_tensor_one_kind()
    {
        RowColumn[] columns = [new("n", typeof(long)), new("s", typeof(string))];

        Assert.Null(RowLines.Refusal(columns, EncodingOf(InferenceProtocol.Seldon)));
        Assert.StartsWith("column 's' holds text, but a Seldon tensor holds numbers only",
            RowLines.Refusal(columns, EncodingOf(InferenceProtocol.Seldon, payload: PayloadType.Tensor)));
        Assert.Null(RowLines.Refusal(columns, EncodingOf(InferenceProtocol.V2)));
        Assert.StartsWith("one tensor has one datatype, but the columns are of several kinds ('n' INT64, 's' BYTES)",
            RowLines.Refusal(columns, EncodingOf(InferenceProtocol.V2, V2InputLayout.Tensor)));
        // With its datatype given, the values are checked row by row instead.
        Assert.Null(RowLines.Refusal(columns, EncodingOf(InferenceProtocol.V2, V2InputLayout.Tensor, datatype: "BYTES")));
        Assert.Null(RowLines.Refusal(Numbers, EncodingOf(InferenceProtocol.V2, V2InputLayout.Tensor)));
        Assert.Equal("the table has no columns to send", RowLines.Refusal([], EncodingOf(InferenceProtocol.Seldon)));
    }

    /// <summary>A row of typical columns: integers, doubles (any finite one), text (any), booleans, decimals.</summary>
    private static readonly Gen<object?[]> Rows =
        from a in ArbMap.Default.GeneratorFor<long>()
        from b in ArbMap.Default.GeneratorFor<double>().Where(double.IsFinite)
        from s in ArbMap.Default.GeneratorFor<string>().Where(x => x is not null && Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(x)) == x)
        from t in ArbMap.Default.GeneratorFor<bool>()
        from d in ArbMap.Default.GeneratorFor<decimal>()
        select new object?[] { a, b, s, t, d };

    private static readonly RowColumn[] Typical =
        [new("a", typeof(long)), new("b", typeof(double)), new("s", typeof(string)), new("t", typeof(bool)), new("d", typeof(decimal))];

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property Every_line_reads_back_as_its_row() => Prop.ForAll(Rows.ToArbitrary(), row =>
    {
        using var seldon = JsonDocument.Parse(SeldonBody(Seldon(Typical).Line(0, row)));
        var values = seldon.RootElement.GetProperty("data").GetProperty("ndarray")[0].EnumerateArray().ToArray();
        AssertRow(row, values);

        using var v2 = JsonDocument.Parse(V2Body(V2(Typical, V2InputLayout.Columns).Line(0, row)));
        AssertRow(row, [.. v2.RootElement.GetProperty("inputs").EnumerateArray().Select(i => i.GetProperty("data")[0])]);
    });

    private static void AssertRow(object?[] row, JsonElement[] values)
    {
        Assert.Equal(5, values.Length);
        Assert.Equal((long)row[0]!, values[0].GetInt64());
        Assert.Equal(BitConverter.DoubleToInt64Bits((double)row[1]!), BitConverter.DoubleToInt64Bits(values[1].GetDouble()));
        Assert.Equal((string)row[2]!, values[2].GetString());
        Assert.Equal((bool)row[3]!, values[3].GetBoolean());
        Assert.Equal(((decimal)row[4]!).ToString(CultureInfo.InvariantCulture), values[4].GetRawText());
    }

    private static readonly Gen<(RowColumn[] Columns, object?[] Row)> IntegerRows =
        from width in Gen.Choose(1, 6)
        from ints in Gen.ArrayOf(Gen.Elements(false, true), width)
        from values in Gen.ArrayOf(
            Gen.Frequency(
                (6, Gen.Elements(0L, 1L, -1L, 9L, 10L, -10L, long.MaxValue, long.MinValue, int.MaxValue, int.MinValue)),
                (6, ArbMap.Default.GeneratorFor<long>())),
            width)
        from odd in Gen.Frequency((8, Gen.Constant(-1)), (1, Gen.Choose(0, width - 1)))
        from oddValue in Gen.Elements<object?>(null, 0.5, "7", (short)3, 2UL)
        select (
            ints.Select((isInt, c) => new RowColumn($"c{c}", isInt ? typeof(int) : typeof(long))).ToArray(),
            values.Select((v, c) => c == odd ? oddValue : ints[c] ? (object)(int)v : v).ToArray());

    /// <summary>A row of integer columns is written without the JSON writer (<c>RowLines.TryIntegers</c>): the same array
    /// and value bounds as the writer's, and a row holding anything else (a null, a text, another number type) goes the
    /// writer's way, failing or not as it did.</summary>
    [FsCheck.Xunit.Property(MaxTest = 500)]
    public Property A_row_of_integers_is_the_JSON_writers_array() => Prop.ForAll(IntegerRows.ToArbitrary(), c =>
    {
        var line = Seldon(c.Columns).Line(3, c.Row);
        if (Array.FindIndex(c.Row, v => v is null or string or double) is var refused and >= 0)
        {
            Assert.Null(line.Row);
            Assert.Contains($"column 'c{refused}' of row 3", line.Failure, StringComparison.Ordinal);
            return;
        }

        Assert.Null(line.Failure);
        var expected = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(expected))
        {
            w.WriteStartArray();
            foreach (var value in c.Row)
            {
                w.WriteNumberValue(Convert.ToDecimal(value, CultureInfo.InvariantCulture));
            }

            w.WriteEndArray();
        }

        Assert.Equal(Encoding.UTF8.GetString(expected.WrittenSpan), Encoding.UTF8.GetString(line.Row!.Array));
        for (var i = 0; i < c.Row.Length; i++)
        {
            Assert.Equal(Convert.ToString(c.Row[i], CultureInfo.InvariantCulture), Encoding.UTF8.GetString(line.Row.Value(i)));
        }
    });
}
