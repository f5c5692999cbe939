using System.Text.RegularExpressions;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The bar and the log share stderr: a log line is written on a line of its own and the bar drawn again.</summary>
public sealed class TerminalProgressBarTests
{
    private const string ClearLine = "\r\u001b[K";

    private static RunProgress Halfway => BatchModelFactory.RunProgress(500, 3, 0.5, TimeSpan.FromSeconds(10), 50);

    [Fact]
    public void A_log_line_clears_the_bar_is_written_whole_and_the_bar_comes_back_below_it()
    {
        using var stderr = new StringWriter();
        var bar = new TerminalProgressBar(stderr);
        bar.Report(Halfway);
        using (var loggers = CliLogging.Create(LogLevel.Information, bar))
        {
            loggers.CreateLogger("seldon-batch-processor").LogWarning("Line {Index} failed: {Reason}", 8, "HTTP 400");
        }

        var drawn = TerminalProgressBar.Render(Halfway);
        var text = stderr.ToString();
        Assert.Matches(new Regex("^" + Regex.Escape(ClearLine + drawn + ClearLine) + @"\d{4}-\d\d-\d\dT[^\n]* WARN  seldon-batch-processor Line 8 failed: HTTP 400\n" + Regex.Escape(drawn) + "$"), text);
    }

    [Fact]
    public void Without_a_bar_drawn_a_log_line_is_written_as_it_is()
    {
        using var stderr = new StringWriter();
        var bar = new TerminalProgressBar(stderr);

        bar.WriteLine("a log line");
        bar.Finish();

        Assert.Equal("a log line\n", stderr.ToString());
    }

    [Fact]
    public void Finish_ends_the_bar_line_once()
    {
        using var stderr = new StringWriter();
        var bar = new TerminalProgressBar(stderr);
        bar.Report(Halfway);

        bar.Finish();
        bar.Finish();

        Assert.Equal(ClearLine + TerminalProgressBar.Render(Halfway) + Environment.NewLine, stderr.ToString());
    }

    [Fact]
    public void A_completed_run_shows_100_percent_and_no_time_left()
    {
        var done = TerminalProgressBar.Render(BatchModelFactory.RunProgress(1000, 0, 1, TimeSpan.FromSeconds(20), 0));

        Assert.StartsWith("[" + new string('#', 30) + "] 100.0%", done);
        Assert.Contains("ETA 0:00", done);
    }

    [Fact]
    public void Nearly_done_is_not_shown_as_done()
    {
        var nearly = TerminalProgressBar.Render(BatchModelFactory.RunProgress(9996, 0, 0.9996, TimeSpan.FromSeconds(20), 100));

        Assert.Contains(" 99.9%", nearly);
        Assert.Contains("-]", nearly);
    }

    [Fact]
    public void There_is_no_eta_without_a_rate()
    {
        var stalled = TerminalProgressBar.Render(BatchModelFactory.RunProgress(400, 0, 0.4, TimeSpan.FromMinutes(3), 0));

        Assert.Contains("0/s", stalled);
        Assert.Contains("ETA --:--", stalled);
    }

    [Fact]
    public void The_eta_comes_from_the_current_rate()
    {
        // 500 of 1,000 lines written, 50 lines/s now: 10 s left, whatever the average since the start was.
        Assert.Contains("ETA 0:10", TerminalProgressBar.Render(Halfway));
        Assert.Contains("ETA 1:23:20", TerminalProgressBar.Render(BatchModelFactory.RunProgress(500, 3, 0.5, TimeSpan.FromSeconds(10), linesPerSecond: 0.1)));
    }
}
