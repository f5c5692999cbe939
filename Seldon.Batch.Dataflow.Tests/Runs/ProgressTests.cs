using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>The share of the input written, the current rate and the time left, on a clock the tests move.</summary>
[Trait("Category", "Integration")]
public sealed class ProgressTests
{
    private static TimeSpan Seconds(double s) => TimeSpan.FromSeconds(s);

    [Fact]
    public void The_rate_is_that_of_the_last_ten_seconds_not_the_average_since_the_start()
    {
        var rate = new RateWindow(Seconds(10));
        rate.Add(Seconds(0), 0);
        double now = 0;
        for (var s = 1; s <= 30; s++)
        {
            // 1,000 lines/s for 20 s, then 20 lines/s.
            now = rate.Add(Seconds(s), s <= 20 ? s * 1000 : 20_000 + (s - 20) * 20);
        }

        Assert.Equal(20, now, precision: 6);
    }

    [Fact]
    public void A_stall_brings_the_rate_to_zero_within_the_window()
    {
        var rate = new RateWindow(Seconds(10));
        rate.Add(Seconds(0), 0);
        for (var s = 1; s <= 5; s++)
        {
            rate.Add(Seconds(s), s * 100);
        }

        var during = rate.Add(Seconds(10), 500);
        var after = rate.Add(Seconds(15), 500);

        Assert.Equal(50, during, precision: 6);
        Assert.Equal(0, after);
    }

    [Fact]
    public void Before_any_time_has_passed_there_is_no_rate()
    {
        var rate = new RateWindow(Seconds(10));

        Assert.Equal(0, rate.Add(Seconds(0), 1234));
    }

    [Fact]
    public void The_share_written_counts_lines_against_an_estimate_of_the_input_lines_from_the_bytes_read()
    {
        // 1,000 lines of 10 bytes read out of 100,000 bytes: about 10,000 lines; 800 written.
        Assert.Equal(0.08, ProgressReporter.ShareOfInput(800, 1000, 10_000, 100_000), precision: 9);
    }

    [Fact]
    public void Every_line_read_and_written_is_exactly_all_of_it()
    {
        Assert.Equal(1.0, ProgressReporter.ShareOfInput(7919, 7919, 123_457, 123_457));
        Assert.Equal(1.0, ProgressReporter.ShareOfInput(0, 0, 0, 0));
        Assert.Equal(0.0, ProgressReporter.ShareOfInput(0, 0, 0, 100));
    }

    [Fact]
    public void Lines_read_but_not_yet_written_are_not_counted_as_done()
    {
        // The whole input read (lines wait in the network), a quarter written.
        Assert.Equal(0.25, ProgressReporter.ShareOfInput(250, 1000, 50_000, 50_000), precision: 9);
    }

    [Theory]
    [InlineData(0.0, 100.0, null)]
    [InlineData(0.5, 0.0, null)]
    [InlineData(1.0, 0.0, 0.0)]
    [InlineData(0.5, 50.0, 10.0)]
    [InlineData(0.25, 10.0, 75.0)]
    public void Time_left_comes_from_the_current_rate_and_is_unknown_without_one(double fraction, double rate, double? seconds)
    {
        var progress = new RunProgress((long)(fraction * 1000), 0, fraction, Seconds(60), rate);

        Assert.Equal(seconds is { } s ? Seconds(s) : null, progress.Remaining);
    }

    [Fact]
    public void The_reporter_reads_the_rate_on_the_clock_it_is_given()
    {
        var clock = new FakeTimeProvider();
        long written = 0;
        var reporter = new ProgressReporter(
            () => (written, 0, written / 1000.0), new RunStatistics(), TimeSpan.Zero, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance, null, clock);

        clock.Advance(Seconds(2));
        written = 100;
        var first = reporter.Sample();
        clock.Advance(Seconds(2));
        written = 200;
        var measured = reporter.Sample();
        clock.Advance(Seconds(20));
        var stalled = reporter.Sample();

        // The first lines start the measure: the seconds before them (connecting, the first answers) are not the pace.
        Assert.Equal((Seconds(2), 0.0, 0.1, (TimeSpan?)null), (first.Elapsed, first.LinesPerSecond, first.Fraction, first.Remaining));
        Assert.Equal((Seconds(4), 50.0, 0.2), (measured.Elapsed, measured.LinesPerSecond, measured.Fraction));
        Assert.Equal(Seconds(16), measured.Remaining);
        Assert.Equal((0.0, (TimeSpan?)null), (stalled.LinesPerSecond, stalled.Remaining));
    }

    [Fact]
    public async Task A_file_run_reports_the_share_of_lines_written_and_a_time_left_only_once_its_rate_is_measured()
    {
        // 3,000 lines of equal length (36 KB, read in one go): the share written is exactly lines written / 3,000. The
        // requests pass a gate the test opens, so the run moves only when told; the run's clock moves when the test says.
        await using var server = await Seldon.Batch.Dataflow.Server.DemoModelServer.StartAsync(new Seldon.Batch.Dataflow.Server.ServeOptions { GrpcPort = -1 });
        const int lines = 3000;
        var dir = Directory.CreateTempSubdirectory("sbd-progress-");
        var clock = new FakeTimeProvider();
        var reports = new ProgressChannel();
        var options = BatchHarness.Options(server.RestPort, "rest").WithBlock(b => b with { BatchSize = 10 }) with
        {
            InputDataPath = Path.Combine(dir.FullName, "in.txt"),
            OutputDataPath = Path.Combine(dir.FullName, "out.txt"),
        };
        await File.WriteAllLinesAsync(options.InputDataPath, Enumerable.Range(0, lines).Select(i => $"[[1{i:D5}, 1]]"));
        using var client = new GatedClient(Seldon.Batch.Dataflow.PredictionClients.Create(options.Endpoint));
        try
        {
            var run = BatchRun.RunAsync(options.On(clock), client, progress: reports);

            var first = await ReportAfterAsync(client, 100, clock, reports, written: 1);
            var second = await ReportAfterAsync(client, 100, clock, reports, written: first.LinesWritten + 1);
            client.OpenFully();
            // A read of the reports left waiting takes the next one: keep it, so that no report is lost. The run reports
            // once more as it ends, before it returns.
            var last = second;
            var next = reports.NextAsync();
            while (!run.IsCompleted)
            {
                clock.Advance(Seconds(1));
                if (await Task.WhenAny(run, next) == next)
                {
                    last = await next;
                    next = reports.NextAsync();
                }
            }

            var summary = await run;
            if (next.IsCompletedSuccessfully)
            {
                last = await next;
            }

            while (reports.TryNext(out var report))
            {
                last = report;
            }

            Assert.Equal(RunOutcome.Completed, summary.Outcome);
            // Of the lines written, not of the bytes the reader fetched ahead of them (the whole file at once).
            Assert.Equal((double)first.LinesWritten / lines, first.Fraction, precision: 9);
            Assert.Equal((double)second.LinesWritten / lines, second.Fraction, precision: 9);
            Assert.Equal(1.0, last.Fraction);
            // No time left from the first second of writing; from the second, at the rate measured over it.
            Assert.Equal((0.0, (TimeSpan?)null), (first.LinesPerSecond, first.Remaining));
            Assert.True(second.LinesPerSecond > 0, $"no rate at the second report: {second}");
            Assert.NotNull(second.Remaining);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Lets <paramref name="requests"/> more requests through, then moves the run's clock a second at a time until
    /// a report says at least <paramref name="written"/> lines are written, and returns it.</summary>
    private static async Task<RunProgress> ReportAfterAsync(GatedClient client, int requests, FakeTimeProvider clock, ProgressChannel reports, long written)
    {
        await client.LetThroughAsync(requests);
        // The answered lines reach the writer on the thread pool, in real time: on a loaded machine that can take longer
        // than a few ticks of the fake clock, so the ticks go on (each after the report of the last) until a real deadline.
        var deadline = System.Diagnostics.Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(30))
        {
            clock.Advance(Seconds(1));
            if (await reports.NextAsync() is { } report && report.LinesWritten >= written)
            {
                return report;
            }

            await Task.Delay(5);
        }

        throw new Xunit.Sdk.XunitException($"no report with {written} lines written within 30 s");
    }

    /// <summary>A real client whose requests wait at a gate the test opens a number of requests at a time.</summary>
    private sealed class GatedClient(Seldon.Batch.Dataflow.IPredictionClient inner) : Seldon.Batch.Dataflow.IPredictionClient
    {
        public InferenceProtocol Protocol => inner.Protocol;

        private readonly SemaphoreSlim _gate = new(0);
        private readonly Lock _lock = new();
        private int _answered;
        private (int Count, TaskCompletionSource Done)? _waiting;

        /// <summary>Lets <paramref name="count"/> more requests through and waits until they are answered.</summary>
        public Task LetThroughAsync(int count)
        {
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_lock)
            {
                _waiting = (_answered + count, done);
            }

            _gate.Release(count);
            return done.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }

        public void OpenFully() => _gate.Release(1_000_000);

        public async Task<Seldon.Batch.Dataflow.PredictionResponse> SendAsync(Seldon.Batch.Dataflow.PredictionRequest request, CancellationToken cancellationToken)
        {
            await _gate.WaitAsync(cancellationToken);
            var response = await inner.SendAsync(request, cancellationToken);
            lock (_lock)
            {
                if (++_answered >= _waiting?.Count)
                {
                    _waiting.Value.Done.TrySetResult();
                }
            }

            return response;
        }

        public void Dispose()
        {
            inner.Dispose();
            _gate.Dispose();
        }
    }

    [Fact]
    public async Task The_reporter_reports_each_second_and_logs_each_interval_of_its_clock_then_once_more_at_the_end()
    {
        var clock = new FakeTimeProvider();
        var logs = new RecordingLoggerFactory();
        var reports = new ProgressChannel();
        long written = 0;
        using var end = new CancellationTokenSource();
        var reporter = new ProgressReporter(
            () => (written, 0, written / 1000.0), new RunStatistics(), Seconds(2), logs.CreateLogger("progress"), reports, clock);
        var running = reporter.RunAsync(end.Token);

        var ticks = new List<RunProgress>();
        for (var second = 1; second <= 3; second++)
        {
            written += 100;
            clock.Advance(Seconds(1));
            ticks.Add(await reports.NextAsync());
        }

        await end.CancelAsync();
        await running.WaitAsync(TimeSpan.FromSeconds(30));
        var last = await reports.NextAsync();

        Assert.Equal([(Seconds(1), 100L), (Seconds(2), 200L), (Seconds(3), 300L)], ticks.Select(t => (t.Elapsed, t.LinesWritten)));
        Assert.Equal((Seconds(3), 300L), (last.Elapsed, last.LinesWritten));
        var logged = Assert.Single(logs.Messages);
        Assert.StartsWith("Progress: 200 lines written (20.0%)", logged.Message);
    }
}
