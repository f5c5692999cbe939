using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Diagnostics;

/// <summary>The library's telemetry for a block used alone, over both transports, and the rate gauge of a run.</summary>
[Collection(ListenersAlone.Name)]
[Trait("Category", "Integration")]
public sealed class BlockTelemetryTests
{
    private static readonly ActivitySource Application = new("Seldon.Batch.Dataflow.Tests.Application");

    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_blocks_requests_are_children_of_the_span_it_was_made_under_whatever_span_posts_the_lines(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        using var telemetry = new TelemetryCapture(Application.Name);
        using var client = Client(server, transport);

        // One block made under the application's span, one made under none; the lines of both are posted from inside
        // another, unrelated span, which flows into the block's worker threads with them.
        ActivityContext madeUnder;
        IPropagatorBlock<string, InstanceResult> child, root;
        using (var parent = Application.StartActivity("made-under")!)
        {
            madeUnder = parent.Context;
            child = PredictionBlock.Create(client, BlockOptions with { BatchId = "child" });
        }

        Assert.Null(Activity.Current);
        root = PredictionBlock.Create(client, BlockOptions with { BatchId = "root" });
        using (var unrelated = Application.StartActivity("posts-the-lines")!)
        {
            await Task.WhenAll(DrainAsync(child, 8), DrainAsync(root, 8));
        }

        var requests = telemetry.Library("seldon.batch.request");
        var ofChild = requests.Where(s => (string?)s.GetTagItem("seldon.batch.id") == "child").ToList();
        var ofRoot = requests.Where(s => (string?)s.GetTagItem("seldon.batch.id") == "root").ToList();
        Assert.Equal(8, ofChild.Count);
        Assert.Equal(8, ofRoot.Count);
        Assert.All(ofChild, s => Assert.Equal((madeUnder.TraceId, madeUnder.SpanId), (s.TraceId, s.ParentSpanId)));
        Assert.All(ofRoot, s => Assert.Equal(default, s.ParentSpanId));
        Assert.All(requests, s => Assert.Equal(1, s.GetTagItem("seldon.batch.request.lines")));
        Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i), ofChild.Select(s => (long)s.GetTagItem("seldon.batch.request.first_line")!).Order());
        // Each request told the server its own span.
        Assert.Equal(requests.Select(s => s.Id!).Order(), server.Statistics.TraceParents.Order());
        // Both blocks are over: in flight back to zero, lines read and predicted counted.
        Assert.Equal(0, telemetry.Sum("seldon.batch.requests.in_flight"));
        Assert.Equal(16, telemetry.Sum("seldon.batch.lines.read"));
        Assert.Equal(16, telemetry.Sum("seldon.batch.lines.predicted"));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_adaptive_limit_grows_while_its_requests_are_observed(string transport)
    {
        // Room for 64 at once and nothing refused: a limit that learns from its answers grows past where it started.
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { Capacity = 64, DelayMs = 10 });
        using var telemetry = new TelemetryCapture();

        var lines = Enumerable.Range(0, 400).Select(i => $"[[{i}]]").ToArray();
        var result = await RunAsync(Options(server, transport).WithBlock(b => b with { AdaptiveConcurrency = new AdaptiveConcurrency { Maximum = 16, Initial = 2 } }), lines);

        Assert.Equal(0, result.Summary.Failed);
        Assert.True(server.Statistics.MaxInServer > 2, $"the limit never grew past its start: at most {server.Statistics.MaxInServer} requests in the server");
    }

    private static async Task DrainAsync(IPropagatorBlock<string, InstanceResult> block, int lines)
    {
        for (var i = 0; i < lines; i++)
        {
            Assert.True(await block.SendAsync($"[[{i}, 1]]"));
        }

        block.Complete();
        var results = new List<InstanceResult>();
        while (await block.OutputAvailableAsync())
        {
            results.Add(await block.ReceiveAsync());
        }

        await block.Completion;
        Assert.Equal(lines, results.Count(r => r.Succeeded));
    }

    [Fact]
    public async Task The_rate_gauge_reads_the_rate_the_progress_reports_while_the_run_lasts_and_nothing_after()
    {
        using var telemetry = new TelemetryCapture();
        var clock = new FakeTimeProvider();
        var written = 0L;
        var progress = new ProgressChannel();
        var reporter = new ProgressReporter(
            () => (Interlocked.Read(ref written), 0, 0.5), new RunStatistics(), TimeSpan.Zero, NullLogger.Instance, progress, clock);
        using var over = new CancellationTokenSource();
        var running = reporter.RunAsync(over.Token);

        // 250 lines a second for three seconds.
        double rate = 0;
        for (var s = 1; s <= 3; s++)
        {
            Interlocked.Add(ref written, 250);
            clock.Advance(TimeSpan.FromSeconds(1));
            rate = (await progress.NextAsync()).LinesPerSecond;
        }

        Assert.Equal(250, rate, precision: 6);
        Assert.Equal([250.0], telemetry.Observe("seldon.batch.lines.rate").Select(m => m.Value));

        await over.CancelAsync();
        await running;
        Assert.Empty(telemetry.Observe("seldon.batch.lines.rate"));
    }
}
