using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Tasks.Dataflow;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Fixtures;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Table rows through the block over real sockets to the built-in server, REST and gRPC, Seldon (ndarray and
/// tensor) and V2 (columns and tensor): rows are merged into one request per micro-batch, the answer is split back into one
/// record per row in row order, and a row with a null fails alone while its neighbours are sent.</summary>
[Trait("Category", "Integration")]
public sealed class TableBlockTests(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>
{
    private const int RowCount = 10;
    private const int NullRow = 5;

    private static readonly TableColumn[] Columns = [new("id", typeof(string)), new("a", typeof(long)), new("b", typeof(double))];

    /// <summary>Row r: id "r-r", a = r, b = r + 0.5; row 5's b is null.</summary>
    private static RowColumn[] ModelColumns(IEnumerable<TableColumn> columns) => [.. columns.Select(c => new RowColumn(c.Name, c.ValueType))];

    private static MemoryTable Table() => new(Columns, [.. Enumerable.Range(0, RowCount).Select(r => new object?[] { $"r-{r}", (long)r, r == NullRow ? null : r + 0.5 })]);

    public static TheoryData<string, string> Layouts()
    {
        var data = new TheoryData<string, string>();
        foreach (var transport in new[] { "rest", "grpc" })
        {
            foreach (var layout in new[] { "ndarray", "tensor", "v2-columns", "v2-tensor" })
            {
                data.Add(transport, layout);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task Rows_make_one_request_per_micro_batch_and_one_record_each_in_order(string transport, string layout)
    {
        var v2 = layout.StartsWith("v2", StringComparison.Ordinal);
        var endpoint = BatchHarness.Endpoint(transport == "grpc" ? fixture.Server.GrpcPort : fixture.Server.RestPort, transport)
            with
        { Protocol = v2 ? InferenceProtocol.V2 : InferenceProtocol.Seldon };
        var block = BatchHarness.BlockOptions with { BatchSize = 4, PayloadType = layout == "tensor" ? PayloadType.Tensor : PayloadType.Ndarray };
        var lines = RowLines.Create(ModelColumns(Columns[1..]), PredictionBlock.EncodingOfRows(endpoint.Protocol, block, layout == "v2-tensor" ? V2InputLayout.Tensor : V2InputLayout.Columns));
        var table = Table();

        var (results, stats) = await PredictAsync(endpoint, block, lines, table, chosen: [1, 2]);

        Assert.Equal(Enumerable.Range(0, RowCount).Select(r => (long)r), results.Select(r => r.Index));
        // Rows 0-3, 4-7 (row 5 not among them) and 8-9: three requests.
        Assert.Equal(3, stats.Requests);
        Assert.True(table.Disposed);
        foreach (var result in results)
        {
            var r = (int)result.Index;
            if (r == NullRow)
            {
                Assert.Equal(LineFailureKind.InvalidLine, result.Failure!.Kind);
                Assert.Equal("invalid row: column 'b' of row 5 is null: a model input needs a value", result.Failure.Reason);
                Assert.Equal("invalid row", result.Failure.Category);
                continue;
            }

            Assert.True(result.Succeeded, result.Line);
            var record = JsonNode.Parse(result.Line)!.AsObject();
            Assert.Equal(Expected(layout, r), Answer(layout, record), JsonNode.DeepEquals);
        }
    }

    /// <summary>The demo model's answer to row r, as the record holds it: the row's values doubled.</summary>
    private static JsonNode Expected(string layout, int r) => layout switch
    {
        "ndarray" => JsonNode.Parse($"[[{2 * r},{(2 * r) + 1}.0]]")!,
        "tensor" => JsonNode.Parse($$"""{"shape":[1,2],"values":[{{2 * r}},{{(2 * r) + 1}}]}""")!,
        "v2-columns" => JsonNode.Parse($$"""[{"name":"a","shape":[1],"data":[{{2 * r}}]},{"name":"b","shape":[1],"data":[{{(2 * r) + 1}}]}]""")!,
        _ => JsonNode.Parse($$"""[{"name":"input-0","shape":[1,2],"data":[{{2 * r}},{{(2 * r) + 1}}]}]""")!,
    };

    private static JsonNode Answer(string layout, JsonObject record)
    {
        switch (layout)
        {
            case "ndarray":
                return record["data"]!["ndarray"]!.DeepClone();
            case "tensor":
                var tensor = record["data"]!["tensor"]!.AsObject();
                return new JsonObject { ["shape"] = tensor["shape"]!.DeepClone(), ["values"] = new JsonArray([.. tensor["values"]!.AsArray().Select(v => (JsonNode?)JsonValue.Create(v!.GetValue<double>()))]) };
            default:
                return new JsonArray([.. record["outputs"]!.AsArray().Select(o => (JsonNode?)new JsonObject
                {
                    ["name"] = o!["name"]!.DeepClone(),
                    ["shape"] = o["shape"]!.DeepClone(),
                    ["data"] = new JsonArray([.. o["data"]!.AsArray().Select(v => (JsonNode?)JsonValue.Create(v!.GetValue<double>()))]),
                })]);
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task V2_text_columns_go_as_BYTES_with_their_content_type_and_come_back(string transport)
    {
        var endpoint = BatchHarness.Endpoint(transport == "grpc" ? fixture.Server.GrpcPort : fixture.Server.RestPort, transport) with { Protocol = InferenceProtocol.V2 };
        var block = BatchHarness.BlockOptions with { BatchSize = 3 };
        var lines = RowLines.Create(ModelColumns(Columns), PredictionBlock.EncodingOfRows(endpoint.Protocol, block, V2InputLayout.Columns));

        var (results, stats) = await PredictAsync(endpoint, block, lines, Table(), chosen: [0, 1, 2]);

        Assert.Equal(RowCount, results.Length);
        Assert.Equal(4, stats.Requests);
        var first = JsonNode.Parse(results[0].Line)!;
        Assert.Equal("id", first["outputs"]![0]!["name"]!.GetValue<string>());
        Assert.Equal("BYTES", first["outputs"]![0]!["datatype"]!.GetValue<string>());
        Assert.Equal("R-0", first["outputs"]![0]!["data"]![0]!.GetValue<string>());
        Assert.Equal(0, first["parameters"]!["batch_index"]!.GetValue<long>());
    }

    /// <summary>Sends the table's rows (of the <paramref name="chosen"/> columns) through the file run's network, as the run
    /// reads them, and collects the results in order.</summary>
    private static async Task<(InstanceResult[] Results, RunStatistics Stats)> PredictAsync(
        EndpointSettings endpoint, PredictionBlockOptions block, RowLines lines, MemoryTable table, int[] chosen)
    {
        using var client = PredictionClients.Create(endpoint);
        var stats = new RunStatistics();
        var stop = new StopPolicy(FailureLimit.None, endpoint.Host, CancellationToken.None);
        var network = PredictionBlock.CreateNumbered(block with { DataType = DataType.Raw, BatchId = "table-batch" }, client, stats, stop);
        var results = new List<InstanceResult>();
        var collect = new ActionBlock<PredictedGroup>(group => results.AddRange(group.Results));
        network.LinkTo(collect, new DataflowLinkOptions { PropagateCompletion = true });
        await using (var rows = TableRows.OfRows(table, chosen, RowCount, table))
        {
            await foreach (var line in rows.LinesAsync(lines, first: 0, skip: 0, CancellationToken.None))
            {
                Assert.True(await network.SendAsync(line));
            }
        }

        network.Complete();
        await collect.Completion;
        return ([.. results.Select(r => r.AsText())], stats);
    }
}
