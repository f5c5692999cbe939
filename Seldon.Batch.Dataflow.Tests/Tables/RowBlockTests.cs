using System.Threading.Tasks.Dataflow;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Fixtures;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary><see cref="PredictionBlock.CreateForRows{TRow}"/> over real sockets to the built-in server: rows of the
/// caller's type come back in order with their prediction columns, a row with a null fails alone, and columns no
/// request can carry are refused at creation.</summary>
[Trait("Category", "Integration")]
public sealed class RowBlockTests(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>
{
    private sealed record Customer(string Id, long Tenure, double? Spend);

    private static readonly RowColumn[] Columns = [new("tenure", typeof(long)), new("spend", typeof(double))];

    private static Customer[] Customers(int count) =>
        [.. Enumerable.Range(0, count).Select(i => new Customer($"c-{i}", i, i == 5 ? null : i + 0.5))];

    private async Task<List<RowPrediction<Customer>>> PredictAsync(string transport, InferenceProtocol protocol, V2InputLayout layout, Customer[] customers)
    {
        var endpoint = BatchHarness.Endpoint(transport == "grpc" ? fixture.Server.GrpcPort : fixture.Server.RestPort, transport) with { Protocol = protocol };
        using var client = PredictionClients.Create(endpoint);
        var block = PredictionBlock.CreateForRows<Customer>(client, BatchHarness.BlockOptions with { BatchSize = 4, Workers = 2 }, Columns, c => [c.Tenure, c.Spend], layout);
        var results = new List<RowPrediction<Customer>>();
        var sink = new ActionBlock<RowPrediction<Customer>>(results.Add);
        block.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });
        foreach (var customer in customers)
        {
            Assert.True(await block.SendAsync(customer));
        }

        block.Complete();
        await sink.Completion;
        return results;
    }

    [Theory]
    [InlineData("rest", InferenceProtocol.Seldon, V2InputLayout.Columns)]
    [InlineData("grpc", InferenceProtocol.Seldon, V2InputLayout.Columns)]
    [InlineData("rest", InferenceProtocol.V2, V2InputLayout.Columns)]
    [InlineData("grpc", InferenceProtocol.V2, V2InputLayout.Tensor)]
    public async Task Rows_come_back_in_order_with_their_prediction_columns_and_a_null_fails_its_row_alone(string transport, InferenceProtocol protocol, V2InputLayout layout)
    {
        var customers = Customers(10);

        var results = await PredictAsync(transport, protocol, layout, customers);

        Assert.Equal(customers, results.Select(r => r.Row));
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), results.Select(r => r.Result.Index));
        foreach (var result in results)
        {
            if (result.Row.Spend is null)
            {
                Assert.Equal(LineFailureKind.InvalidLine, result.Failure!.Kind);
                Assert.Contains("'spend'", result.Failure.Reason, StringComparison.Ordinal);
                Assert.Empty(result.Predictions);
                continue;
            }

            Assert.Null(result.Failure);
            Assert.NotEmpty(result.Predictions);
            // Every prediction column is a number or a list of numbers read from the row's own answer.
            Assert.All(result.Predictions, p => Assert.True(p.Value is double || p.Value is object?[], $"{p.Key} is {p.Value?.GetType().Name ?? "null"}"));
        }

        // The same row gives the same prediction whatever its neighbours: rows 1 and 1 again in another batch agree.
        var again = await PredictAsync(transport, protocol, layout, [customers[1]]);
        Assert.Equal(Flatten(results[1].Predictions), Flatten(again[0].Predictions));
    }

    [Fact]
    public void Columns_no_request_can_carry_are_refused_when_the_block_is_made()
    {
        using var client = PredictionClients.Create(BatchHarness.Endpoint(fixture.Server.RestPort, "rest"));

        var refused = Assert.Throws<InvalidBatchOptionsException>(() =>
            PredictionBlock.CreateForRows<byte[]>(client, BatchHarness.BlockOptions, [new RowColumn("blob", typeof(byte[]))], b => [b]));

        Assert.Contains("'blob'", refused.Message, StringComparison.Ordinal);
    }

    private static string Flatten(IReadOnlyList<KeyValuePair<string, object?>> cells) =>
        string.Join(";", cells.Select(c => $"{c.Key}={(c.Value is object?[] list ? string.Join(",", list) : c.Value)}"));
}
