using System.Threading.Tasks.Dataflow;
using Seldon.Batch.Dataflow.Pipeline;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Batch.Dataflow.Transport;
using static Seldon.Batch.Dataflow.Tests.Integration.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Integration;

/// <summary>The library use: the block linked between two blocks of an application's own network.</summary>
public sealed class PredictionBlockTests : IClassFixture<DemoServerFixture>
{
    private readonly DemoServerFixture _fixture;

    public PredictionBlockTests(DemoServerFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("rest", 1)]
    [InlineData("grpc", 3)]
    public async Task Linked_between_two_blocks_it_keeps_order_and_completes(string transport, int batchSize)
    {
        var options = Options(_fixture.Server, transport) with { Workers = 8, BatchSize = batchSize };
        using var client = PredictionClients.Create(options.Transport, options.ToEndpoint(), options.ToRetry());
        var stats = new RunStatistics();

        var source = new BufferBlock<int>();
        var toLine = new TransformBlock<int, string>(i => i % 10 == 9 ? "not json" : $"[[{i}]]");
        var predict = PredictionBlock.Create(options, client, stats);
        var received = new List<InstanceResult>();
        var sink = new ActionBlock<InstanceResult>(received.Add);
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        source.LinkTo(toLine, link);
        toLine.LinkTo(predict, link);
        predict.LinkTo(sink, link);

        for (var i = 0; i < 100; i++)
        {
            await source.SendAsync(i);
        }

        source.Complete();
        await sink.Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(Enumerable.Range(0, 100).Select(i => (long)i), received.Select(r => r.Index));
        Assert.Equal(90, received.Count(r => r.Succeeded));
        Assert.All(received.Where(r => r.Index % 10 == 9), r => Assert.StartsWith("invalid JSON", r.Failure));
        Assert.Contains($"[[{2 * 42}]]", received[42].Line);
        Assert.Equal(100, stats.Instances);
        Assert.Equal(10, stats.Failed);
    }

    [Fact]
    public async Task A_fault_upstream_faults_the_block()
    {
        var options = Options(_fixture.Server, "rest");
        using var client = PredictionClients.Create(options.Transport, options.ToEndpoint(), options.ToRetry());
        var predict = PredictionBlock.Create(options, client);
        var sink = new ActionBlock<InstanceResult>(_ => { });
        predict.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });

        predict.Fault(new InvalidOperationException("upstream broke"));

        var error = await Assert.ThrowsAnyAsync<Exception>(() => sink.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("upstream broke", error.ToString());
    }

    [Fact]
    public void Invalid_options_are_refused_when_the_block_is_built()
    {
        var options = Options(_fixture.Server, "rest") with { DataType = DataType.Json, BatchSize = 8 };
        using var client = PredictionClients.Create(options.Transport, options.ToEndpoint(), options.ToRetry());

        var error = Assert.Throws<InvalidBatchOptionsException>(() => PredictionBlock.Create(options, client));
        Assert.Contains("--batch-size", error.Message);
    }
}
