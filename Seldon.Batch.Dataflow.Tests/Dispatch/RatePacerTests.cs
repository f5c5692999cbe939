using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Dispatch;

/// <summary><c>--max-rate</c>'s schedule on a fake clock: the arithmetic of when each request may go, no real timing.</summary>
public sealed class RatePacerTests
{
    private readonly FakeTimeProvider _clock = new();

    /// <summary>Sends <paramref name="requests"/> one after another, each as soon as it may, its wake-up
    /// <paramref name="late"/> after its moment (a busy machine's timers); the fake time it all took.</summary>
    private TimeSpan Send(RatePacer pacer, int requests, int lines, TimeSpan late)
    {
        var started = _clock.GetUtcNow();
        for (var i = 0; i < requests; i++)
        {
            var wait = pacer.Reserve(pacer.CountsRows ? lines : 1);
            _clock.Advance(wait > TimeSpan.Zero ? wait + late : TimeSpan.Zero);
        }

        return _clock.GetUtcNow() - started;
    }

    [Theory]
    [InlineData(7.5, 1, 450)]
    [InlineData(200, 1, 12_000)]
    [InlineData(20_000, 32, 37_500)] // rows: 1,200,000 lines in requests of 32
    [InlineData(1234.5, 1, 74_070)]
    public void A_minute_of_requests_takes_a_minute_whatever_the_rate(double perSecond, int lines, int requests)
    {
        var rate = lines > 1 ? RequestRate.RowsPerSecond(perSecond) : RequestRate.RequestsPerSecond(perSecond);
        _clock.Advance(TimeSpan.FromSeconds(5)); // idle first: only the small burst is credited

        var took = Send(new RatePacer(rate, _clock), requests, lines, TimeSpan.Zero);

        // The last request goes at (requests - 1) intervals, less the burst's credit: within 0.5 % of a minute.
        Assert.InRange(took.TotalSeconds, 59.7, 60.0);
    }

    [Fact]
    public void Wake_ups_that_come_late_do_not_lower_the_rate()
    {
        // 200/s is one request every 5 ms; every wait ends 3 ms late, as the 10 ms timer of a bucket did at load 70.
        var took = Send(new RatePacer(RequestRate.RequestsPerSecond(200), _clock), 12_000, 1, TimeSpan.FromMilliseconds(3));

        Assert.InRange(took.TotalSeconds, 59.9, 60.1);
    }

    [Fact]
    public void After_an_idle_stretch_only_a_small_burst_goes_at_once()
    {
        var pacer = new RatePacer(RequestRate.RequestsPerSecond(1000), _clock);
        _clock.Advance(TimeSpan.FromMinutes(1));

        var atOnce = Enumerable.Range(0, 100).Select(_ => pacer.Reserve(1)).TakeWhile(w => w == TimeSpan.Zero).Count();

        // 10 ms of 1000/s, and the request whose moment is now.
        Assert.Equal(11, atOnce);
    }

    [Fact]
    public void A_request_of_many_lines_pays_for_each_of_them()
    {
        var pacer = new RatePacer(RequestRate.RowsPerSecond(100), _clock);
        _clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal(TimeSpan.Zero, pacer.Reserve(32));
        Assert.Equal(0.31, pacer.Reserve(32).TotalSeconds, 5); // 32 lines at 100/s, less the 10 ms credit
    }

    [Theory]
    [InlineData("7.5", 7.5, false)]
    [InlineData(" 200 ", 200, false)]
    [InlineData("20000/rows", 20000, true)]
    [InlineData("1e3 / ROWS", 1000, true)]
    [InlineData("50/requests", 50, false)]
    public void A_rate_reads_as_requests_or_rows_per_second(string text, double perSecond, bool rows)
    {
        Assert.True(RequestRate.TryParse(text, out var rate));
        Assert.Equal(perSecond, rate!.PerSecond);
        Assert.Equal(rows, rate.CountsRows);
        Assert.True(RequestRate.TryParse(rate.ToString(), out var again));
        Assert.Equal(rate, again);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("10/bytes")]
    [InlineData("10/rows/s")]
    public void What_is_not_a_positive_rate_is_refused(string text)
    {
        Assert.False(RequestRate.TryParse(text, out var rate));
        Assert.Null(rate);
    }

    [Fact]
    public void The_options_refuse_a_rate_that_is_not_positive_naming_the_property()
    {
        var invalid = Assert.Throws<InvalidBatchOptionsException>(() => new PredictionBlockOptions { MaxRate = RequestRate.RequestsPerSecond(0) }.Validate());

        Assert.Equal("MaxRate", invalid.Property);
        Assert.Contains("positive number of requests per second", invalid.Message);
    }
}
