using System.Globalization;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The prediction columns of a table output, read from the records real runs write against the built-in server
/// over REST and gRPC: JSON-lines inputs whose lines are the raw messages a table row becomes, micro-batched. Seldon: a
/// column per name of <c>data.names</c> from an ndarray or a tensor, <c>prediction</c> (or <c>prediction_0</c>…) without
/// names, the text of a <c>jsonData</c> or <c>strData</c> answer; Open Inference: a column per output, a scalar for one
/// element and a list for several, typed by its datatype. Error records: null predictions and the reason in <c>error</c>.</summary>
[Trait("Category", "Integration")]
public sealed class PredictionColumnRulesTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private static readonly string[] TensorColumns = ["t:0", "t:1", "t:2"];
    private readonly DemoServerFixture _fixture;
    private readonly TableRuns _runs = new();

    public PredictionColumnRulesTests(DemoServerFixture fixture) => _fixture = fixture;

    public void Dispose() => _runs.Dispose();

    private BatchOptions Raw(string transport, int batchSize = 4, InferenceProtocol protocol = InferenceProtocol.Seldon) =>
        Options(_fixture.Server, transport)
            .WithEndpoint(e => e with { Protocol = protocol })
            .WithBlock(b => b with { DataType = DataType.Raw, BatchSize = batchSize });

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Seldon_ndarray_names_give_a_double_column_each_and_a_line_that_fails_its_error(string transport)
    {
        var lines = Enumerable.Range(0, 7).Select(i => i == 3 ? "{not json" : Invariant($$$"""{"data":{"names":["a","b"],"ndarray":[[{{{i}}},{{{i + 0.5}}}]]}}""")).ToArray();

        var (_, table) = await _runs.RunTableAsync(Raw(transport), lines);

        Assert.Equal(["t:0", "t:1", "error"], table.Names);
        Assert.Equal([("t:0", "Double"), ("t:1", "Double"), ("error", "String")], table.Columns);
        Assert.Equal(7, table.Rows.Count);
        for (var i = 0; i < 7; i++)
        {
            if (i == 3)
            {
                Assert.Null(table[i, "t:0"]);
                Assert.Null(table[i, "t:1"]);
                Assert.StartsWith("invalid JSON", table[i, "error"]!.GetValue<string>(), StringComparison.Ordinal);
                continue;
            }

            Assert.Equal(2.0 * i, table[i, "t:0"]!.GetValue<double>());
            Assert.Equal((2.0 * i) + 1, table[i, "t:1"]!.GetValue<double>());
            Assert.Null(table[i, "error"]);
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Seldon_tensor_rows_give_a_column_per_name(string transport)
    {
        var lines = Enumerable.Range(0, 6).Select(i => Invariant($$$$"""{"data":{"names":["a","b","c"],"tensor":{"shape":[1,3],"values":[{{{{i}}}},{{{{i + 1}}}},{{{{i + 2}}}}]}}}"""));

        var (_, table) = await _runs.RunTableAsync(Raw(transport), lines);

        Assert.Equal([("t:0", "Double"), ("t:1", "Double"), ("t:2", "Double"), ("error", "String")], table.Columns);
        for (var i = 0; i < 6; i++)
        {
            Assert.Equal([2.0 * i, (2.0 * i) + 2, (2.0 * i) + 4], TensorColumns.Select(c => table[i, c]!.GetValue<double>()));
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Seldon_jsonData_and_strData_answers_give_a_prediction_column_of_their_text(string transport)
    {
        var lines = Enumerable.Range(0, 6).Select(i => i % 2 == 0 ? Invariant($$$"""{"jsonData":{"x":{{{i}}}}}""") : Invariant($$$"""{"strData":"row {{{i}}}"}"""));

        var (_, table) = await _runs.RunTableAsync(Raw(transport), lines);

        Assert.Equal([("prediction", "String"), ("error", "String")], table.Columns);
        for (var i = 0; i < 6; i++)
        {
            var text = table[i, "prediction"]!.GetValue<string>();
            if (i % 2 == 0)
            {
                var json = JsonNode.Parse(text)!;
                Assert.Equal("demo", json["model"]!.GetValue<string>());
                Assert.Equal(i, json["input"]!["x"]!.GetValue<double>());
            }
            else
            {
                Assert.Equal($"ROW {i}", text);
            }
        }
    }

    [Theory]
    [InlineData("""{"data":{"ndarray":[[7]]}}""", new[] { "prediction" })]
    [InlineData("""{"data":{"ndarray":[[7,8]]}}""", new[] { "prediction_0", "prediction_1" })]
    [InlineData("""{"data":{"names":["only"],"ndarray":[[7,8]]}}""", new[] { "prediction_0", "prediction_1" })]
    public async Task Seldon_answers_without_names_or_with_too_few_give_prediction_columns(string answer, string[] columns)
    {
        // A model that names nothing: every request is answered with the same body (REST only: over gRPC this server's
        // fixed answer is not a gRPC answer).
        await using var model = await DemoModelServer.StartAsync(new ServeOptions { AnswerStatus = 200, AnswerBody = answer });
        var options = Options(model, "rest").WithBlock(b => b with { DataType = DataType.Raw, BatchSize = 1 });

        var (_, table) = await _runs.RunTableAsync(options, Enumerable.Range(0, 3).Select(i => Invariant($$$"""{"data":{"ndarray":[[{{{i}}}]]}}""")));

        Assert.Equal([.. columns, "error"], table.Names);
        Assert.All(columns, c => Assert.Equal("Double", table.TypeOf(c)));
        Assert.All(table.Rows, row => Assert.Equal(7.0, row[0]!.GetValue<double>()));
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Open_Inference_outputs_of_one_element_give_scalar_columns_typed_by_their_datatype(string transport)
    {
        var lines = Enumerable.Range(0, 7).Select(i => i == 5
            ? """{"inputs":[{"name":"a","shape":[2],"datatype":"INT64","data":[1]}]}"""
            : Invariant($$$"""{"inputs":[{"name":"a","shape":[1],"datatype":"INT64","data":[{{{i}}}]},{"name":"b","shape":[1],"datatype":"FP64","data":[{{{i + 0.25}}}]},{"name":"s","shape":[1],"datatype":"BYTES","data":["x{{{i}}}"]},{"name":"f","shape":[1],"datatype":"BOOL","data":[{{{(i % 2 == 0 ? "true" : "false")}}}]}],"parameters":{"content_type":"pd"}}"""));

        var (_, table) = await _runs.RunTableAsync(Raw(transport, protocol: InferenceProtocol.V2), lines);

        Assert.Equal([("a", "Double"), ("b", "Double"), ("s", "String"), ("f", "Boolean"), ("error", "String")], table.Columns);
        for (var i = 0; i < 7; i++)
        {
            if (i == 5)
            {
                // Its data does not fill its shape: never sent, its own error record.
                Assert.All(["a", "b", "s", "f"], c => Assert.Null(table[i, c]));
                Assert.Contains("shape", table[i, "error"]!.GetValue<string>(), StringComparison.Ordinal);
                continue;
            }

            Assert.Equal(2.0 * i, table[i, "a"]!.GetValue<double>());
            Assert.Equal((2.0 * i) + 0.5, table[i, "b"]!.GetValue<double>());
            Assert.Equal($"X{i}", table[i, "s"]!.GetValue<string>());
            Assert.Equal(i % 2 == 0, table[i, "f"]!.GetValue<bool>());
            Assert.Null(table[i, "error"]);
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Open_Inference_outputs_of_several_elements_give_list_columns(string transport)
    {
        var lines = Enumerable.Range(0, 5).Select(i => i == 2
            ? "[not an inference request"
            : Invariant($$$"""{"inputs":[{"name":"x","shape":[1,3],"datatype":"FP64","data":[{{{i}}},{{{i + 1}}},{{{i + 2}}}]},{"name":"n","shape":[1],"datatype":"INT64","data":[{{{i}}}]}]}"""));

        var (_, table) = await _runs.RunTableAsync(Raw(transport, protocol: InferenceProtocol.V2), lines);

        Assert.Equal([("x", "list of Double"), ("n", "Double"), ("error", "String")], table.Columns);
        for (var i = 0; i < 5; i++)
        {
            if (i == 2)
            {
                Assert.Null(table[i, "x"]);
                Assert.StartsWith("invalid JSON", table[i, "error"]!.GetValue<string>(), StringComparison.Ordinal);
                continue;
            }

            Assert.Equal([2.0 * i, (2.0 * i) + 2, (2.0 * i) + 4], table[i, "x"]!.AsArray().Select(v => v!.GetValue<double>()));
            Assert.Equal(2.0 * i, table[i, "n"]!.GetValue<double>());
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Kept_input_columns_come_first_with_their_types_each_row_beside_its_prediction(string transport)
    {
        var lines = Enumerable.Range(0, 9).Select(i => Invariant($$$"""{"data":{"names":["v"],"ndarray":[[{{{i}}}]]}}"""));

        var (_, table) = await _runs.RunTableAsync(Raw(transport), lines, FakeTables.Cities(9));

        Assert.Equal([("id", "Int64"), ("city", "String"), ("t:0", "Double"), ("error", "String")], table.Columns);
        for (var i = 0; i < 9; i++)
        {
            Assert.Equal(i, table[i, "id"]!.GetValue<long>());
            Assert.Equal($"city-{i}", table[i, "city"]!.GetValue<string>());
            Assert.Equal(2.0 * i, table[i, "t:0"]!.GetValue<double>());
        }
    }

    [Fact]
    public async Task Only_the_columns_named_to_keep_are_kept_in_their_order()
    {
        var lines = Enumerable.Range(0, 4).Select(i => Invariant($$$"""{"data":{"ndarray":[[{{{i}}}]]}}"""));

        var (_, table) = await _runs.RunTableAsync(Raw("rest") with { KeepColumns = ["city"] }, lines, FakeTables.Cities(4));
        Assert.Equal(["city", "t:0", "error"], table.Names);

        var (_, none) = await _runs.RunTableAsync(Raw("rest") with { KeepColumns = [] }, lines, FakeTables.Cities(4));
        Assert.Equal(["t:0", "error"], none.Names);
    }
}
