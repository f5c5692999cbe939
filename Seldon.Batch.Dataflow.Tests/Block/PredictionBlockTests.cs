using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Block;

/// <summary>The library use: the block linked between two blocks of an application's own network.</summary>
[Trait("Category", "Integration")]
public sealed class PredictionBlockTests : IClassFixture<DemoServerFixture>
{
    private readonly DemoServerFixture _fixture;

    public PredictionBlockTests(DemoServerFixture fixture) => _fixture = fixture;

    [Theory]
    [InlineData("rest", 1)]
    [InlineData("grpc", 3)]
    public async Task Linked_between_two_blocks_it_keeps_order_and_completes(string transport, int batchSize)
    {
        var options = BlockOptions with { Workers = 8, BatchSize = batchSize };
        using var client = Client(_fixture.Server, transport);
        var stats = new RunStatistics();

        var source = new BufferBlock<int>();
        var toLine = new TransformBlock<int, string>(i => i % 10 == 9 ? "not json" : $"[[{i}]]");
        var predict = PredictionBlock.Create(client, options with { Statistics = stats });
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
        Assert.All(received.Where(r => r.Index % 10 == 9), r => Assert.StartsWith("invalid JSON", r.Failure!.Reason));
        Assert.Contains(transport == "grpc" ? "[[84.0]]" : "[[84]]", received[42].Line); // gRPC carries doubles (docs/formats.md)
        Assert.Equal(100, stats.Instances);
        Assert.Equal(10, stats.Failed);
        await predict.Completion;
    }

    [Theory]
    [InlineData("rest", 1)]
    [InlineData("grpc", 4)]
    public async Task The_callers_own_items_travel_through_in_order_with_their_results(string transport, int batchSize)
    {
        var options = BlockOptions with { Workers = 4, BatchSize = batchSize };
        using var client = Client(_fixture.Server, transport);
        var orders = Enumerable.Range(0, 60).Select(i => new Order($"order-{i}", i)).ToList();

        var predict = PredictionBlock.Create<Order>(client, options, o => o.Quantity % 10 == 7 ? "not json" : $"[[{o.Quantity}]]");
        var received = new List<PredictionResult<Order>>();
        var sink = new ActionBlock<PredictionResult<Order>>(received.Add);
        predict.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });
        foreach (var order in orders)
        {
            Assert.True(await predict.SendAsync(order));
        }

        predict.Complete();
        await sink.Completion.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(orders, received.Select(r => r.Item));
        Assert.Equal(Enumerable.Range(0, 60).Select(i => (long)i), received.Select(r => r.Result.Index));
        Assert.All(received, r => Assert.Equal(r.Item.Quantity % 10 != 7, r.Result.Succeeded));
        Assert.All(received.Where(r => r.Result.Succeeded), r => Assert.Contains($"[[{2 * r.Item.Quantity}", r.Result.Line.Replace(".0", "", StringComparison.Ordinal)));
        await predict.Completion;
    }

    [Fact]
    public async Task A_line_function_that_throws_faults_the_block_with_its_exception()
    {
        var options = BlockOptions;
        using var client = Client(_fixture.Server, "rest");
        var predict = PredictionBlock.Create<int>(client, options, n => n == 7 ? throw new FormatException("no line for 7") : $"[[{n}]]");
        var sink = new ActionBlock<PredictionResult<int>>(_ => { });
        predict.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });

        // The fault must reach the first stage too: a sender waiting for room in it would otherwise wait forever.
        using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var accepted = 0;
        while (accepted < 50 && await predict.SendAsync(accepted, patience.Token))
        {
            accepted++;
        }

        Assert.InRange(accepted, 8, 49);

        predict.Complete();
        var error = await Assert.ThrowsAsync<FormatException>(() => sink.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("no line for 7", error.Message);
    }

    [Fact]
    public async Task Cancelling_faults_the_next_block_after_an_ordered_prefix()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 5 });
        var options = BlockOptions with { Workers = 2 };
        using var client = Client(server, "rest");
        using var cancel = new CancellationTokenSource();
        var predict = PredictionBlock.Create(client, options with { CancellationToken = cancel.Token });
        var received = new List<InstanceResult>();
        var sink = CancellingSink(received, cancel, after: 50);
        predict.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });

        var sending = SendAllAsync(predict, 530, cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => sink.Completion.WaitAsync(TimeSpan.FromSeconds(60)));
        await sending;

        // The next block did not complete as if every line had its result, and what it got is the input's prefix.
        Assert.True(sink.Completion.IsFaulted);
        Assert.IsAssignableFrom<OperationCanceledException>(Assert.Single(sink.Completion.Exception!.InnerExceptions));
        Assert.InRange(received.Count, 50, 529);
        ResultAssert.OrderedPrefix(received);
        Assert.True(predict.Completion.IsFaulted);
        Assert.IsAssignableFrom<OperationCanceledException>(predict.Completion.Exception!.InnerException);
    }

    [Fact]
    public async Task Cancelling_still_delivers_every_result_already_produced()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 5 });
        var options = BlockOptions with { Workers = 2 };
        using var client = Client(server, "grpc");
        using var cancel = new CancellationTokenSource();
        var stats = new RunStatistics();
        var predict = PredictionBlock.Create(client, options with { Statistics = stats, CancellationToken = cancel.Token });
        var received = new List<InstanceResult>();
        // Without completion propagated, the sink keeps whatever it was given: all of it must be there.
        var sink = CancellingSink(received, cancel, after: 30);
        predict.LinkTo(sink);

        var sending = SendAllAsync(predict, 530, cancel.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => predict.Completion.WaitAsync(TimeSpan.FromSeconds(60)));
        await sending;
        sink.Complete();
        await sink.Completion;

        Assert.Equal(stats.Instances, received.Count);
        ResultAssert.OrderedPrefix(received);
    }

    [Fact]
    public async Task A_fault_upstream_arrives_as_the_one_original_exception()
    {
        var options = BlockOptions;
        using var client = Client(_fixture.Server, "rest");
        var broken = new InvalidOperationException("upstream broke");
        var toLine = new TransformBlock<int, string>(i => i == 20 ? throw broken : $"[[{i}]]");
        var predict = PredictionBlock.Create(client, options);
        var sink = new ActionBlock<InstanceResult>(_ => { });
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        toLine.LinkTo(predict, link);
        predict.LinkTo(sink, link);

        for (var i = 0; i < 40; i++)
        {
            await toLine.SendAsync(i);
        }

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => sink.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Same(broken, error);
        Assert.Same(broken, Assert.Single(sink.Completion.Exception!.InnerExceptions));
        Assert.Same(broken, Assert.Single(predict.Completion.Exception!.InnerExceptions));
    }

    [Fact]
    public async Task A_fault_of_the_block_itself_faults_the_next_block()
    {
        var options = BlockOptions;
        using var client = Client(_fixture.Server, "rest");
        var predict = PredictionBlock.Create(client, options);
        var sink = new ActionBlock<InstanceResult>(_ => { });
        predict.LinkTo(sink, new DataflowLinkOptions { PropagateCompletion = true });

        predict.Fault(new InvalidOperationException("upstream broke"));

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => sink.Completion.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("upstream broke", error.Message);
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task An_outage_past_max_outage_faults_with_the_typed_failure_after_the_answered_prefix(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(
            new ServeOptions { OutageAfter = 30, OutageSeconds = 3600, OutageMode = ServerOutageMode.Unavailable });
        // The outage budget and the breaker's breaks pass on the block's clock, moved on while the block runs.
        var clock = new FakeTimeProvider();
        var options = BlockOptions with { Workers = 2, MaxOutage = TimeSpan.FromSeconds(1), TimeProvider = clock };
        using var client = Client(server, transport);
        var predict = PredictionBlock.Create(client, options);
        var received = new List<InstanceResult>();
        var sink = new ActionBlock<InstanceResult>(received.Add);
        predict.LinkTo(sink);
        var time = FakeClock.AdvanceUntilDoneAsync(clock, predict.Completion, TimeSpan.FromMilliseconds(100));

        var accepted = 0;
        for (var i = 0; i < 5000; i++)
        {
            if (!await predict.SendAsync($"[[{i}]]"))
            {
                break;
            }

            accepted++;
        }

        var error = await Assert.ThrowsAsync<EndpointFailureException>(() => predict.Completion.WaitAsync(TimeSpan.FromSeconds(60)));
        await time;
        sink.Complete();
        await sink.Completion;

        Assert.Equal(PredictionFailureKind.Outage, error.Failure.Kind);
        // In the library's terms, which a front end words its own way.
        Assert.Contains("more than PredictionBlockOptions.MaxOutage 1 s", error.Message);
        Assert.DoesNotContain("--", error.Message);
        Assert.Contains("more than --max-outage 1 s", error.FormatMessage(setting => setting == "MaxOutage" ? "--max-outage" : setting));
        Assert.True(accepted < 5000, "the block kept taking lines after its endpoint failed");
        Assert.InRange(received.Count, 1, 29);
        Assert.All(received, r => Assert.True(r.Succeeded, r.Failure?.Reason));
        ResultAssert.OrderedPrefix(received);
    }

    [Fact]
    public void Invalid_options_are_refused_when_the_block_is_built()
    {
        var options = BlockOptions with { DataType = DataType.Json, BatchSize = 8 };
        using var client = Client(_fixture.Server, "rest");

        var error = Assert.Throws<InvalidBatchOptionsException>(() => PredictionBlock.Create(client, options));
        Assert.StartsWith("BatchSize 8 needs DataType data or raw", error.Message);
        Assert.Equal([nameof(PredictionBlockOptions.BatchSize), nameof(PredictionBlockOptions.DataType)], error.Properties);
    }

    /// <summary>A sink that collects results and cancels <paramref name="cancel"/> once it holds <paramref name="after"/>.</summary>
    private static ActionBlock<InstanceResult> CancellingSink(List<InstanceResult> received, CancellationTokenSource cancel, int after) =>
        new(r =>
        {
            received.Add(r);
            if (received.Count == after)
            {
                cancel.Cancel();
            }
        });

    /// <summary>Sends lines [[0]]..[[count-1]] until the block stops taking them or the token is cancelled.</summary>
    private static async Task SendAllAsync(ITargetBlock<string> block, int count, CancellationToken cancellationToken)
    {
        try
        {
            for (var i = 0; i < count; i++)
            {
                if (!await block.SendAsync($"[[{i}]]", cancellationToken))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }

        block.Complete();
    }

    /// <summary>An application's own record, which must come out with its result.</summary>
    private sealed record Order(string Id, int Quantity);
}
