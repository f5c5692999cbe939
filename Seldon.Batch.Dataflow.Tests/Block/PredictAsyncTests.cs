using System.Runtime.CompilerServices;
using System.Text;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Block;

/// <summary>The stream convenience for applications without a Dataflow network, against the built-in server.</summary>
[Trait("Category", "Integration")]
public sealed class PredictAsyncTests : IClassFixture<DemoServerFixture>
{
    private readonly DemoServerFixture _fixture;

    public PredictAsyncTests(DemoServerFixture fixture) => _fixture = fixture;

    /// <summary>Lines [[0]]..[[count-1]], counting how many were read.</summary>
    private sealed class CountingLines(int count)
    {
        private int _read;

        public int Read => Volatile.Read(ref _read);

        public async IAsyncEnumerable<string> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
        {
            for (var i = 0; i < count; i++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                await Task.Yield();
                Interlocked.Increment(ref _read);
                yield return $"[[{i}]]";
            }
        }
    }

    [Theory]
    [InlineData("rest", 1)]
    [InlineData("grpc", 8)]
    public async Task Every_line_gets_its_result_in_order_with_bounded_read_ahead(string transport, int batchSize)
    {
        var options = BlockOptions with { Workers = 4, BatchSize = batchSize };
        using var client = Client(_fixture.Server, transport);
        const int count = 5000;
        var lines = new CountingLines(count);
        var results = new List<InstanceResult>();
        var mostAhead = 0;

        await foreach (var result in lines.ReadAsync().PredictAsync(client, options))
        {
            results.Add(result);
            mostAhead = Math.Max(mostAhead, lines.Read - results.Count);
        }

        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), results.Select(r => r.Index));
        Assert.All(results, r => Assert.True(r.Succeeded, r.Failure?.Reason));
        // Applications get their lines as text, made once, not the split's UTF-8 (decoded at each read of Line).
        Assert.All(results, r => Assert.Null(r.Utf8));
        // Their predictions stay the slices of the bytes the split wrote: each line's data.
        Assert.All(results, r => Assert.Equal(
            System.Text.Json.JsonDocument.Parse(r.Line).RootElement.GetProperty("data").GetRawText(), Encoding.UTF8.GetString(r.Prediction.Span)));
        // The block's bounded stages hold about its window of 1024 lines: the stream is never read much further ahead.
        Assert.InRange(mostAhead, 1, 2000);
    }

    [Fact]
    public async Task Leaving_the_loop_early_stops_reading_the_lines()
    {
        var options = BlockOptions;
        using var client = Client(_fixture.Server, "rest");
        var lines = new CountingLines(100_000);
        var taken = 0;

        await foreach (var result in lines.ReadAsync().PredictAsync(client, options))
        {
            Assert.Equal(taken, result.Index);
            if (++taken == 10)
            {
                break;
            }
        }

        var readWhenLeft = lines.Read;
        Assert.InRange(readWhenLeft, 10, 2000);
        // The feeding task has ended by the time the loop is left: nothing more is read.
        Assert.Equal(readWhenLeft, lines.Read);
    }

    [Fact]
    public async Task Cancelling_throws_after_an_ordered_prefix()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 5 });
        var options = BlockOptions with { Workers = 2 };
        using var client = Client(server, "grpc");
        using var cancel = new CancellationTokenSource();
        var results = new List<InstanceResult>();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var result in new CountingLines(530).ReadAsync().PredictAsync(client, options, cancellationToken: cancel.Token))
            {
                results.Add(result);
                if (results.Count == 20)
                {
                    await cancel.CancelAsync();
                }
            }
        });

        Assert.InRange(results.Count, 20, 529);
        ResultAssert.OrderedPrefix(results);
    }

    [Theory]
    [InlineData("rest", 404)]
    [InlineData("grpc", 401)]
    public async Task A_misrouted_endpoint_throws_the_typed_failure(string transport, int status)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { AnswerStatus = status });
        var options = BlockOptions;
        using var client = Client(server, transport);
        var results = new List<InstanceResult>();

        var error = await Assert.ThrowsAsync<EndpointFailureException>(async () =>
        {
            await foreach (var result in new CountingLines(200).ReadAsync().PredictAsync(client, options))
            {
                results.Add(result);
            }
        });

        Assert.Empty(results);
        Assert.Equal(PredictionFailureKind.Misconfiguration, error.Failure.Kind);
    }

    [Fact]
    public async Task A_failing_line_source_ends_the_stream_with_its_exception()
    {
        var options = BlockOptions;
        using var client = Client(_fixture.Server, "rest");

        static async IAsyncEnumerable<string> Broken()
        {
            await Task.Yield();
            yield return "[[1]]";
            throw new IOException("the disk went away");
        }

        var error = await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var _ in Broken().PredictAsync(client, options))
            {
            }
        });
        Assert.Equal("the disk went away", error.Message);
    }

    [Fact]
    public async Task Invalid_options_are_refused_when_the_stream_is_read()
    {
        var valid = BlockOptions;
        using var client = Client(_fixture.Server, "rest");
        var options = valid with { Workers = 0 };

        var error = await Assert.ThrowsAsync<InvalidBatchOptionsException>(async () =>
        {
            await foreach (var _ in new CountingLines(3).ReadAsync().PredictAsync(client, options))
            {
            }
        });
        Assert.Equal("Workers must be at least 1, not 0", error.Message);
    }
}
