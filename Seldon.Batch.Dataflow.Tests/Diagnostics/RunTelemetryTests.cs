using System.Diagnostics;
using System.Text;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;
using static Seldon.Batch.Dataflow.Tests.Fixtures.RawBatch;

namespace Seldon.Batch.Dataflow.Tests.Diagnostics;

/// <summary>A file run against the built-in server with failing and refused lines, watched by the real System.Diagnostics
/// listeners: the metrics say what the summary says, every attempt on the wire has its span under the run's, and the
/// trace context the server received is that span's (not one of HttpClient's own).</summary>
[Collection(ListenersAlone.Name)]
[Trait("Category", "Integration")]
public sealed class RunTelemetryTests
{
    private const int Count = 40;

    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    /// <summary>Numbered lines; lines 5 and 22 hold the value the server refuses.</summary>
    private static byte[] InputWithRefusedLines() =>
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, Count).Select(i => (i is 5 or 22 ? "[[777, 1]]" : $"[[{i}, 1]]") + "\n")));

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_metrics_equal_the_summary_and_every_attempt_is_a_span_of_the_run_whose_context_the_server_received(string transport)
    {
        // Every fourth request is answered 429 (retried), and the two refused lines fail alone after their micro-batch.
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailEvery = 4, FailStatus = 429, RefuseValue = "777" });
        // HttpClient's and gRPC's own sources too: they make spans of their own under ours, and HttpClient would send its
        // span's context if the request had none.
        using var telemetry = new TelemetryCapture("System.Net.Http", "Grpc.Net.Client");

        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { BatchSize = 2, MaxAttempts = 6 }), InputWithRefusedLines());
        var summary = result.Summary;

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(2, summary.Failed);
        Assert.True(summary.Retries > 0, "no retry");

        // Lines.
        Assert.Equal(summary.Instances, telemetry.Sum("seldon.batch.lines.read"));
        Assert.Equal(summary.Succeeded, telemetry.Sum("seldon.batch.lines.predicted"));
        Assert.Equal(summary.Failed, telemetry.Sum("seldon.batch.lines.failed"));
        Assert.Equal(summary.Failed, telemetry.Sum("seldon.batch.lines.failed", ("failure.kind", "refused")));

        // Requests, counted once each with their final outcome, and their retries.
        var endpoint = new[] { ("protocol", "seldon"), ("transport", transport) };
        Assert.Equal(summary.Requests, telemetry.Sum("seldon.batch.requests", endpoint));
        Assert.Equal(summary.Requests - FailedRequests(summary), telemetry.Sum("seldon.batch.requests", [.. endpoint, ("outcome", "ok")]));
        Assert.Equal(summary.Retries, telemetry.Sum("seldon.batch.retries", endpoint));
        var durations = telemetry.Of("seldon.batch.request.duration");
        Assert.Equal(summary.Requests, durations.Count);
        Assert.All(durations, d => Assert.InRange(d.Value, 0, 60));

        // Attempts on the wire: each counted in and out.
        var inFlight = telemetry.Of("seldon.batch.requests.in_flight");
        Assert.Equal(server.Statistics.Requests, inFlight.Count(m => m.Value == 1));
        Assert.Equal(0, inFlight.Sum(m => m.Value));

        // One span per attempt on the wire (every one reached the server), each a child of the run's span.
        var run = Assert.Single(telemetry.Library("seldon.batch.run"));
        Assert.Equal("test-batch", run.GetTagItem("seldon.batch.id"));
        Assert.Equal("completed", run.GetTagItem("seldon.batch.outcome"));
        var requests = telemetry.Library("seldon.batch.request");
        Assert.Equal(server.Statistics.Requests, requests.Count);
        Assert.Equal(summary.Requests + summary.Retries, requests.Count);
        Assert.All(requests, span =>
        {
            Assert.Equal(ActivityKind.Client, span.Kind);
            Assert.Equal(run.TraceId, span.TraceId);
            Assert.Equal(run.SpanId, span.ParentSpanId);
            Assert.Equal("test-batch", span.GetTagItem("seldon.batch.id"));
        });
        // The failed attempts (429s and refusals) are errors, with the failure's kind.
        var failed = requests.Where(s => s.Status == ActivityStatusCode.Error).ToList();
        Assert.Equal(server.Statistics.InjectedFailures + server.Statistics.BadRequests, failed.Count);
        // A 429 over REST, ResourceExhausted (8) over gRPC.
        Assert.Contains(failed, s => (string?)s.GetTagItem("error.type") == "transient" && s.GetTagItem("seldon.batch.request.status_code") is 429 or 8);
        Assert.Contains(failed, s => (string?)s.GetTagItem("error.type") == "line");
        Assert.Contains(requests, s => s.GetTagItem("seldon.batch.request.attempt") is 2);

        // The server received each request span's own context: HttpClient made spans of its own under them, but did not
        // replace the header.
        Assert.Equal(server.Statistics.Requests, server.Statistics.TracedRequests);
        var ids = requests.Select(s => s.Id!).ToHashSet();
        Assert.All(server.Statistics.TraceParents, received => Assert.Contains(received, ids));
        Assert.Equal(ids.Count, server.Statistics.TraceParents.Distinct().Count());
        var http = telemetry.Spans.Where(s => s.Source.Name == "System.Net.Http").ToList();
        Assert.NotEmpty(http);
        Assert.All(http, s => Assert.DoesNotContain(s.Id!, server.Statistics.TraceParents));
    }

    /// <summary>Requests whose final answer was a failure: the micro-batches holding a refused line, and those lines alone.</summary>
    private static long FailedRequests(RunSummary summary) => 2 * summary.Failed;

    [Fact]
    public async Task With_nothing_listening_no_span_is_made_and_no_trace_context_is_sent()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        using var inner = Client(server, "rest");
        var client = new SpanWatchingClient(inner);

        var result = await RunFileAsync(Options(server, "rest"), NumberedInput(12), o => BatchRun.RunAsync(o, client));

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.Equal(12, client.Calls);
        Assert.Equal(0, client.CallsInASpan);
        Assert.Equal(0, server.Statistics.TracedRequests);
        Assert.False(server.Statistics.LastHeaders.ContainsKey("traceparent"));
    }

    [Fact]
    public async Task The_breaker_gauge_reads_open_during_an_outage_closed_after_it_and_nothing_once_the_run_is_over()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { OutageAfter = 10, OutageSeconds = 1, OutageMode = ServerOutageMode.Unavailable });
        // Blocks other tests dropped without completing them are read until they are collected.
        GC.Collect();
        GC.WaitForPendingFinalizers();
        using var telemetry = new TelemetryCapture();
        var states = new List<(string Message, double[] Readings)>();
        // The gauge is read when the breaker says it opened and closed (from the breaker's own callbacks, so in its state then).
        var loggers = new CallbackLoggerFactory(message =>
        {
            if (message.StartsWith("The model is not answering", StringComparison.Ordinal) || message.StartsWith("The model answers again", StringComparison.Ordinal))
            {
                lock (states)
                {
                    states.Add((message, [.. telemetry.Observe("seldon.batch.breaker.state").Select(m => m.Value)]));
                }
            }
        });

        var result = await RunFileAsync(Options(server, "rest").LoggingTo(loggers).WithBlock(b => b with { Workers = 2 }), NumberedInput(60));

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.Contains(states, s => s.Message.StartsWith("The model is not answering", StringComparison.Ordinal) && s.Readings.SequenceEqual([2.0]));
        Assert.Contains(states, s => s.Message.StartsWith("The model answers again", StringComparison.Ordinal) && s.Readings.SequenceEqual([0.0]));
        // The run's block is over: its breaker is no longer read.
        Assert.Empty(telemetry.Observe("seldon.batch.breaker.state"));
    }

    /// <summary>A client that notes whether each call is made inside a span.</summary>
    private sealed class SpanWatchingClient(IPredictionClient inner) : IPredictionClient
    {
        private int _calls;
        private int _inASpan;

        public int Calls => _calls;

        public int CallsInASpan => _inASpan;

        public InferenceProtocol Protocol => inner.Protocol;

        public Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            if (Activity.Current is not null)
            {
                Interlocked.Increment(ref _inASpan);
            }

            return inner.SendAsync(request, cancellationToken);
        }

        public void Dispose()
        {
        }
    }
}
