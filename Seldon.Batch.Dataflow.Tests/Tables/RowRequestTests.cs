using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>What the codecs make of a micro-batch of row lines: one request that keeps the names (Seldon), concatenates
/// each input along its first dimension and keeps the request's and the inputs' parameters (V2); a row that carries a
/// failure is a member of that request, not sent, and its neighbours are.</summary>
public sealed class RowRequestTests
{
    private static readonly RowColumn[] Columns = [new("a", typeof(long)), new("s", typeof(string))];

    private static InputLine[] Rows(RowLines lines) =>
        [lines.Line(0, [1L, "p"]), lines.Line(1, [2L, null]), lines.Line(2, [3L, "q"]), lines.Line(3, [4L, "r"])];

    [Fact]
    public void Seldon_rows_merge_into_one_ndarray_with_their_names_once()
    {
        var codec = BatchCodecs.For(new PredictionBlockOptions { DataType = DataType.Raw, BatchSize = 4 }, InferenceProtocol.Seldon, "b");

        var batches = codec.Encode(Rows(RowLinesTests.Seldon(Columns)));

        var batch = Assert.Single(batches);
        Assert.Equal([null, "invalid row: column 's' of row 1 is null: a model input needs a value", null, null], batch.Members.Select(m => m.EncodingError));
        var body = JsonNode.Parse(batch.RequestBody!)!;
        Assert.Equal("""{"names":["a","s"],"ndarray":[[1,"p"],[3,"q"],[4,"r"]]}""", body["data"]!.ToJsonString());
        Assert.Equal(0, body["meta"]!["tags"]!["batch_index"]!.GetValue<long>());
    }

    [Fact]
    public void Seldon_tensor_rows_merge_into_one_tensor()
    {
        var codec = BatchCodecs.For(new PredictionBlockOptions { DataType = DataType.Raw, BatchSize = 4, PayloadType = PayloadType.Tensor }, InferenceProtocol.Seldon, "b");
        var lines = RowLinesTests.Seldon([new("a", typeof(long)), new("b", typeof(double))], PayloadType.Tensor);

        var batch = Assert.Single(codec.Encode([lines.Line(0, [1L, 0.5]), lines.Line(1, [2L, 1.5])]));

        Assert.Equal("""{"names":["a","b"],"tensor":{"shape":[2,2],"values":[1,0.5,2,1.5]}}""", JsonNode.Parse(batch.RequestBody!)!["data"]!.ToJsonString());
    }

    [Fact]
    public void V2_column_rows_concatenate_each_input_and_keep_the_parameters()
    {
        var codec = BatchCodecs.For(new PredictionBlockOptions { DataType = DataType.Raw, BatchSize = 4 }, InferenceProtocol.V2, "b");

        var batch = Assert.Single(codec.Encode(Rows(RowLinesTests.V2(Columns, V2InputLayout.Columns))));

        Assert.Equal("invalid row: column 's' of row 1 is null: a model input needs a value", batch.Members[1].EncodingError);
        var body = JsonNode.Parse(batch.RequestBody!)!.AsObject();
        body.Remove("id");
        Assert.Equal(
            """{"parameters":{"content_type":"pd"},"inputs":[{"name":"a","shape":[3],"datatype":"INT64","data":[1,3,4]},""" +
            """{"name":"s","shape":[3],"datatype":"BYTES","parameters":{"content_type":"str"},"data":["p","q","r"]}]}""",
            body.ToJsonString());
    }

    [Fact]
    public void V2_tensor_rows_concatenate_along_the_first_dimension()
    {
        var codec = BatchCodecs.For(new PredictionBlockOptions { DataType = DataType.Raw, BatchSize = 4 }, InferenceProtocol.V2, "b");
        var lines = RowLinesTests.V2([new("a", typeof(long)), new("b", typeof(double))], V2InputLayout.Tensor, "x");

        var batch = Assert.Single(codec.Encode([lines.Line(0, [1L, 0.5]), lines.Line(1, [2L, 1.5])]));

        var body = JsonNode.Parse(batch.RequestBody!)!.AsObject();
        Assert.Equal("""[{"name":"x","shape":[2,2],"datatype":"FP64","data":[1,0.5,2,1.5]}]""", body["inputs"]!.ToJsonString());
    }

    [Theory]
    [InlineData(InferenceProtocol.Seldon)]
    [InlineData(InferenceProtocol.V2)]
    public void A_failed_row_at_batch_size_1_is_its_own_error_and_never_sent(InferenceProtocol protocol)
    {
        var codec = BatchCodecs.For(new PredictionBlockOptions { DataType = DataType.Raw }, protocol, "b");
        var lines = protocol == InferenceProtocol.V2 ? RowLinesTests.V2(Columns, V2InputLayout.Columns) : RowLinesTests.Seldon(Columns);

        var batch = Assert.Single(codec.Encode([lines.Line(9, [1L, null])]));

        Assert.Null(batch.RequestBody);
        Assert.Equal("invalid row: column 's' of row 9 is null: a model input needs a value", Assert.Single(batch.Members).EncodingError);
        Assert.Equal(LineFailureKind.InvalidLine, batch.Members[0].EncodingErrorKind);
    }
}
