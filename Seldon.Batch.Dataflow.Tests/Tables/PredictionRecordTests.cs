using System.Text;
using System.Text.Json;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The shapes of answers the built-in server does not give, read into prediction columns, and how columns
/// that differ between records are typed: a record's cells as JSON (name, then value) and the columns' types.</summary>
public sealed class PredictionRecordTests
{
    private static readonly JsonSerializerOptions AsJson = new() { NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals };

    private static string Cells(string record, bool withValues = true)
    {
        var cells = new List<PredictionCell>();
        var error = new PredictionRecord(withValues).Read(Encoding.UTF8.GetBytes(record), cells);
        return JsonSerializer.Serialize(new { cells = cells.Select(c => new object?[] { c.Name, c.Value }), error }, AsJson);
    }

    [Theory]
    // A 1-D slice is one row of values; a row of one value is a scalar.
    [InlineData("""{"data":{"ndarray":[5]}}""", """[["prediction",5]]""")]
    [InlineData("""{"data":{"ndarray":[1,2]}}""", """[["prediction_0",1],["prediction_1",2]]""")]
    // Values that are arrays are lists; several rows make each column the list of its values down them.
    [InlineData("""{"data":{"names":["a","b"],"ndarray":[[[1,2],[3,4]]]}}""", """[["a",[1,2]],["b",[3,4]]]""")]
    [InlineData("""{"data":{"names":["a","b"],"ndarray":[[1,2],[3,4]]}}""", """[["a",[1,3]],["b",[2,4]]]""")]
    // Shapes near the one-row ndarray read without lists (an empty one; a row and a value; a value and a row).
    [InlineData("""{"data":{"ndarray":[]}}""", """[]""")]
    [InlineData("""{"data":{"ndarray":[[]]}}""", """[]""")]
    [InlineData("""{"data":{"ndarray":[[1],2]}}""", """[["prediction",[1,2]]]""")]
    [InlineData("""{"data":{"ndarray":[1,[2]]}}""", """[["prediction",[1,2]]]""")]
    [InlineData("""{"data":{"names":["a","b"],"ndarray":[[1,{"x":[2]}]]}}""", """[["a",1],["b","{\u0022x\u0022:[2]}"]]""")]
    // Text and the non-finite numbers proto3 JSON writes as strings.
    [InlineData("""{"data":{"names":["label","p"],"ndarray":[["setosa","NaN"]]}}""", """[["label","setosa"],["p","NaN"]]""")]
    // A tensor of three dimensions: a column per second-dimension index, each a list of what is under it.
    [InlineData("""{"data":{"names":["x","y"],"tensor":{"shape":[1,2,2],"values":[1,2,3,4]}}}""", """[["x",[1,2]],["y",[3,4]]]""")]
    [InlineData("""{"data":{"tensor":{"shape":[3],"values":[1,2,3]}}}""", """[["prediction_0",1],["prediction_1",2],["prediction_2",3]]""")]
    [InlineData("""{"data":{"tftensor":{"dtype":"DT_DOUBLE","doubleVal":[1]}}}""", """[["prediction","{\u0022dtype\u0022:\u0022DT_DOUBLE\u0022,\u0022doubleVal\u0022:[1]}"]]""")]
    [InlineData("""{"binData":"AAE="}""", """[["prediction","AAE="]]""")]
    // Open Inference: nested data flattened; text stays text; NaN is null.
    [InlineData("""{"outputs":[{"name":"m","shape":[1,2,2],"datatype":"FP32","data":[[[1,2],[3,4]]]}]}""", """[["m",[1,2,3,4]]]""")]
    [InlineData("""{"outputs":[{"name":"s","shape":[1],"datatype":"BYTES","data":[7]},{"name":"n","shape":[1],"datatype":"FP64","data":[null]}]}""", """[["s","7"],["n",null]]""")]
    // A run's records start with their meta, passed over by its braces: braces and escaped quotes in its strings do not end it.
    [InlineData("""{"meta":{"tags":{"batch_id":"a}\"{b","n":[1,{"x":"}"}]}},"data":{"names":["a"],"ndarray":[[1]]}}""", """[["a",1]]""")]
    [InlineData("""{"meta":{},"data":{"ndarray":[[1]]}}""", """[["prediction",1]]""")]
    public void A_record_gives_its_cells(string record, string cells) =>
        Assert.Equal($$"""{"cells":{{cells}},"error":null}""", Cells(record));

    [Theory]
    [InlineData("""{"status":{"code":400,"info":"FAILURE","reason":"invalid JSON: x","status":1},"meta":{"tags":{"batch_index":3}}}""", "invalid JSON: x")]
    [InlineData("""{"status":{"code":500,"status":1},"meta":{}}""", "unknown failure")]
    [InlineData("""{"id":"q","parameters":{"batch_index":7},"error":{"status":"gRPC InvalidArgument","code":3,"msg":"m: unknown output"}}""", "m: unknown output")]
    public void An_error_record_gives_its_reason_and_no_cell(string record, string reason) =>
        Assert.Equal(JsonSerializer.Serialize(new { cells = Array.Empty<object>(), error = reason }, AsJson), Cells(record));

    [Fact]
    public void A_prediction_with_a_status_that_is_not_a_failure_is_a_prediction() =>
        Assert.Equal("""{"cells":[["t:0",2]],"error":null}""", Cells("""{"status":{"code":200,"status":0},"data":{"names":["t:0"],"ndarray":[[2]]}}"""));

    [Fact]
    public void Reading_only_the_types_gives_placeholders_of_each_type()
    {
        Assert.Equal(
            """{"cells":[["a",0],["b",true],["c",""],["d",null],["e",[0,0]]],"error":null}""",
            Cells("""{"data":{"names":["a","b","c","d","e"],"ndarray":[[1.5,false,"x",null,[3,4]]]}}""", withValues: false));
        Assert.Equal("""{"cells":[["prediction",""]],"error":null}""", Cells("""{"jsonData":{"a":[1,2]}}""", withValues: false));
    }

    [Fact]
    public void A_reader_reused_for_the_next_record_reads_its_own_names()
    {
        var reader = new PredictionRecord();
        var cells = new List<PredictionCell>();
        reader.Read("""{"data":{"names":["a"],"ndarray":[[1]]}}"""u8, cells);
        Assert.Equal("a", cells[0].Name);
        reader.Read("""{"data":{"names":["b"],"ndarray":[[1]]}}"""u8, cells);
        Assert.Equal("b", cells[0].Name);
        reader.Read("""{"outputs":[{"name":"x","data":[1]},{"name":"y","data":[1]}]}"""u8, cells);
        reader.Read("""{"outputs":[{"name":"y","data":[1]},{"name":"x","data":[1]}]}"""u8, cells);
        Assert.Equal(["y", "x"], cells.Select(c => c.Name));
    }

    [Fact]
    public void A_record_that_is_not_a_JSON_object_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => Cells("[1]"));
        Assert.Throws<InvalidDataException>(() => Cells("{\"data\":"));
        Assert.Throws<InvalidDataException>(() => Cells("{\"meta\":{\"tags\":{\"a\":\"}"));
        Assert.Throws<InvalidDataException>(() => Cells("{\"meta\":{},\"data\":"));
    }

    [Fact]
    public void Columns_are_typed_by_every_value_they_held()
    {
        var columns = new PredictionColumns();
        columns.Learn([new("n", 1.0), new("mixed", 1.0), new("flag", true), new("list", 1.0), new("empty", null)]);
        columns.Learn([new("n", null), new("mixed", "x"), new("flag", false), new("list", new object?[] { 2.0, 3.0 }), new("late", "y")]);

        Assert.Equal(
            new (string, Type, Type?)[]
            {
                ("n", typeof(double), null), ("mixed", typeof(string), null), ("flag", typeof(bool), null), ("list", typeof(object?[]), typeof(double)),
                ("empty", typeof(string), null), ("late", typeof(string), null),
            },
            columns.ToTableColumns().Select(c => (c.Name, c.ValueType, c.ElementType)));

        var row = new object?[7];
        row[0] = "kept";
        columns.Fill([new("mixed", 1.5), new("list", 4.0), new("flag", true)], row, 1);
        Assert.Equal(new object?[] { "kept", null, "1.5", true, new object?[] { 4.0 }, null, null }, row);
    }

    [Fact]
    public void Records_that_name_their_columns_in_another_order_or_fewer_fill_each_value_in_its_own_column()
    {
        var columns = new PredictionColumns();
        PredictionCell[] first = [new("a", 1.0), new("b", 2.0)], swapped = [new("b", 3.0), new("a", 4.0)], fewer = [new("b", 5.0)], twice = [new("a", 6.0), new("a", 7.0)];
        foreach (var cells in new[] { first, swapped, fewer, twice })
        {
            Assert.False(columns.Learn(cells) && cells != first);
        }

        var row = new object?[2];
        columns.Fill(first, row, 0);
        Assert.Equal(new object?[] { 1.0, 2.0 }, row);
        columns.Fill(swapped, row, 0);
        Assert.Equal(new object?[] { 4.0, 3.0 }, row);
        columns.Fill(fewer, row, 0);
        Assert.Equal(new object?[] { null, 5.0 }, row);
        columns.Fill(twice, row, 0);
        Assert.Equal(new object?[] { 6.0, null }, row);
        columns.Fill(first, row, 0);
        Assert.Equal(new object?[] { 1.0, 2.0 }, row);
    }
}
