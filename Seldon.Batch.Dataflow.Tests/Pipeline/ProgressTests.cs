using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow.Pipeline;

namespace Seldon.Batch.Dataflow.Tests.Pipeline;

/// <summary>The share of the input written, the current rate and the time left, on a clock the tests move.</summary>
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
        clock.Advance(Seconds(20));
        var stalled = reporter.Sample();

        Assert.Equal((Seconds(2), 50.0, 0.1), (first.Elapsed, first.LinesPerSecond, first.Fraction));
        Assert.Equal((0.0, (TimeSpan?)null), (stalled.LinesPerSecond, stalled.Remaining));
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
