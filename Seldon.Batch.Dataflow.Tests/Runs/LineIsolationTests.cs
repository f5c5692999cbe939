using System.Text;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;
using static Seldon.Batch.Dataflow.Tests.Fixtures.RawBatch;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>Every line is judged on its own, over REST and gRPC against the built-in server: a line of another row shape
/// in a micro-batch is sent in a request of its own instead of failing its neighbours, and a line that makes the model
/// time out is found by sending its micro-batch again line by line, so only it becomes an error record.</summary>
[Trait("Category", "Integration")]
public sealed class LineIsolationTests
{
    private const int Lines = 100;

    /// <summary>Line i is <c>[[1000+i, 1]]</c> (its prediction <c>[[2000+2i, 2]]</c>), except the odd line, of three columns.</summary>
    private static byte[] InputWithOddLine(int odd, string oddLine) => Encoding.UTF8.GetBytes(string.Concat(
        Enumerable.Range(0, Lines).Select(i => (i == odd ? oddLine : $"[[{1000 + i}, 1]]") + "\n")));

    private static void AssertPredicted(BatchResult result, int i) =>
        AssertNdarray(result, i, $"[[{2000 + (2 * i)}, 2]]");

    public static TheoryData<string, int> TransportsAndOddLines => new()
    {
        { "rest", 0 }, { "rest", 45 }, { "grpc", 0 }, { "grpc", 45 },
    };

    [Theory]
    [MemberData(nameof(TransportsAndOddLines))]
    public async Task A_line_of_another_row_shape_is_sent_on_its_own_and_its_neighbours_with_each_other(string transport, int odd)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());

        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { BatchSize = 32 }), InputWithOddLine(odd, "[[7, 8, 9]]"));

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertOrdered(result, Lines);
        Assert.Equal(0, result.Summary.Failed);
        AssertNdarray(result, odd, "[[14, 16, 18]]");
        for (var i = 0; i < Lines; i++)
        {
            if (i != odd)
            {
                AssertPredicted(result, i);
            }
        }

        // Four micro-batches of 32, 32, 32 and 4 lines; the odd line's is cut in two at the start (odd line | the rest), in
        // three in the middle (before | odd line | after).
        Assert.Equal(4 + (odd == 0 ? 1 : 2), result.Summary.Requests);
    }

    [Theory]
    [MemberData(nameof(TransportsAndOddLines))]
    public async Task A_line_of_another_row_shape_the_model_refuses_is_the_one_error_record(string transport, int odd)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { RefuseValue = "777" });

        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { BatchSize = 32 }), InputWithOddLine(odd, "[[777, 8, 9]]"));

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertOrdered(result, Lines);
        Assert.Equal(1, result.Summary.Failed);
        // The model's own reason: the line was sent, not judged by the line before it.
        AssertError(result, odd, transport == "grpc" ? "InvalidArgument" : "MICROSERVICE_BAD_DATA");
        for (var i = 0; i < Lines; i++)
        {
            if (i != odd)
            {
                AssertPredicted(result, i);
            }
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task A_line_that_makes_the_model_time_out_is_the_one_error_record_of_its_micro_batch(string transport)
    {
        // The slow line's request waits far longer than the client does: it can only end by the client's timeout.
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { SlowValue = "777", SlowDelayMs = 600_000 });
        const int slow = 21, count = 40;
        var input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, count).Select(i => (i == slow ? "[[777, 1]]" : $"[[{1000 + i}, 1]]") + "\n")));

        var result = await RunFileAsync(Options(server, transport).WithEndpoint(e => e with { Timeout = TimeSpan.FromSeconds(3) }).WithBlock(b => b with { BatchSize = 4, MaxAttempts = 2 }), input);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertOrdered(result, count);
        Assert.Equal(1, result.Summary.Failed);
        // No answer at all: code 0 over REST, DeadlineExceeded (4) over gRPC.
        AssertError(result, slow, transport == "grpc" ? "DeadlineExceeded" : "within 3 s", transport == "grpc" ? 4 : 0);
        for (var i = 0; i < count; i++)
        {
            if (i != slow)
            {
                AssertPredicted(result, i);
            }
        }

        // The micro-batch took its two attempts; then its four lines went alone, the slow one once: it cost one timeout
        // more, not --retries more.
        Assert.Equal(3, server.Statistics.SlowRequests);
        // Ten micro-batches, the slow one's second attempt, its four lines alone. On a loaded machine another request can
        // outlast the timeout too (the first ones, while the connection and the code paths warm up): it is sent again,
        // which the summary counts as a retry, so the server sees at most one request more per retry beyond the slow one's
        // (one that timed out before it was sent is not seen at all).
        Assert.InRange(server.Statistics.PredictRequests, 10 + 1 + 4, 10 + 4 + result.Summary.Retries);
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task A_micro_batch_refused_whole_is_still_narrowed_down_with_every_retry_for_its_lines(string transport)
    {
        // A refusal is not a timeout: the lines sent alone after it keep their retries (here none is needed).
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { RefuseValue = "777" });
        var input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 8).Select(i => (i == 5 ? "[[777, 1]]" : $"[[{1000 + i}, 1]]") + "\n")));

        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { BatchSize = 4 }), input);

        Assert.Equal(1, result.Summary.Failed);
        AssertError(result, 5, transport == "grpc" ? "InvalidArgument" : "MICROSERVICE_BAD_DATA");
        Assert.Equal(2 + 4, server.Statistics.PredictRequests);
        Assert.Equal(0, result.Summary.Retries);
    }
}
