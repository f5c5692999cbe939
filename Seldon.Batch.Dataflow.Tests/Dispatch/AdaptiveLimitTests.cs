using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Dispatch;

/// <summary>The decisions of <c>--workers auto</c>, driven answer by answer on a fake clock: no sockets, no timing.</summary>
public sealed class AdaptiveLimitTests
{
    private static readonly PredictionFailure TooMany = new(PredictionFailureKind.Transient, 429, "HTTP 429");

    private readonly FakeTimeProvider _clock = new();
    private readonly List<int> _changes = [];

    private AdaptiveLimit Limit(int maximum = 64, int initial = 2) =>
        new(new AdaptiveConcurrency { Maximum = maximum, Initial = initial }, _clock, NullLogger.Instance, _changes.Add);

    /// <summary>One full window at <paramref name="milliseconds"/>, every request sent with the limit full.</summary>
    private static void Window(AdaptiveLimit limit, double milliseconds, bool filled = true)
    {
        var size = Math.Max(AdaptiveLimit.MinWindow, 2 * limit.Limit);
        for (var i = 0; i < size; i++)
        {
            var epoch = limit.Sent(filled ? limit.Limit : 0);
            limit.Answered(epoch, TimeSpan.FromMilliseconds(milliseconds), null);
        }
    }

    [Fact]
    public void It_doubles_while_latency_holds_then_grows_by_one_after_its_first_back_off()
    {
        var limit = Limit();
        Window(limit, 20);
        Window(limit, 20);
        Window(limit, 20);
        Assert.Equal([4, 8, 16], _changes);

        limit.Answered(limit.Sent(16), TimeSpan.FromMilliseconds(5), TooMany);
        Window(limit, 20);
        Window(limit, 20);
        Assert.Equal([4, 8, 16, 8, 9, 10], _changes);
    }

    [Fact]
    public void It_backs_off_when_the_median_latency_rises_past_the_tolerance()
    {
        var limit = Limit(initial: 20);
        Window(limit, 20); // the baseline, and a slow-start step to 40
        Window(limit, 20 * AdaptiveLimit.Tolerance * 1.1);

        var backedOff = (int)(40 / (AdaptiveLimit.Tolerance * 1.1)); // down by as much as the median rose: 31
        Assert.Equal([40, backedOff], _changes);
        for (var i = 0; i < AdaptiveLimit.HoldWindows; i++)
        {
            Window(limit, 20 * AdaptiveLimit.Tolerance * 0.95); // held after a back-off on latency
        }

        Assert.Equal(backedOff, limit.Limit);
        Window(limit, 20 * AdaptiveLimit.Tolerance * 0.95); // within the tolerance: grows again, by one now
        Assert.Equal(backedOff + 1, limit.Limit);
    }

    [Fact]
    public void A_limit_twice_the_servers_capacity_is_halved_in_one_step()
    {
        var limit = Limit(initial: 8);
        Window(limit, 20); // 8 → 16 (slow start)
        Window(limit, 40); // every request queued a whole service time
        Assert.Equal([16, 8], _changes);
    }

    [Fact]
    public void One_probe_above_the_servers_capacity_doubles_the_tail_and_is_undone_then_held()
    {
        // A server of capacity 8 and 20 ms: at 9 in flight one request in nine waits a whole service time. The median
        // stays at 20 ms, so only the tail shows it.
        var limit = Limit(initial: 8);
        Window(limit, 20, filled: false); // the baselines, unloaded: no growth, the limit was not used
        limit.Answered(limit.Sent(8), TimeSpan.FromMilliseconds(5), TooMany); // leaves slow start: 4
        while (limit.Limit < 8)
        {
            Window(limit, 20);
        }

        Window(limit, 20); // 8 → 9
        Assert.Equal(9, limit.Limit);

        QueuedWindow(limit, 20, queuedOneIn: 9);
        Assert.Equal(8, limit.Limit);
        for (var i = 0; i < AdaptiveLimit.HoldWindows; i++)
        {
            Window(limit, 20);
        }

        Assert.Equal(8, limit.Limit);
        Window(limit, 20);
        Assert.Equal(9, limit.Limit);
    }

    [Fact]
    public void One_window_measured_fast_by_chance_does_not_become_the_baseline()
    {
        var limit = Limit(initial: 8);
        Window(limit, 20, filled: false);
        Window(limit, 20, filled: false);
        Window(limit, 20, filled: false);
        Window(limit, 18, filled: false); // faster than the model can be: noise
        Assert.Equal(20, limit.Baseline);

        // 21 ms is within the tolerance of 20 ms, though not of 18 ms: the limit stays where it was.
        Window(limit, 21, filled: false);
        Window(limit, 21, filled: false);
        Assert.Empty(_changes);
    }

    /// <summary>A full window in which one request in <paramref name="queuedOneIn"/> waited a whole service time more.</summary>
    private static void QueuedWindow(AdaptiveLimit limit, double milliseconds, int queuedOneIn)
    {
        var size = Math.Max(AdaptiveLimit.MinWindow, 2 * limit.Limit);
        for (var i = 0; i < size; i++)
        {
            var epoch = limit.Sent(limit.Limit);
            limit.Answered(epoch, TimeSpan.FromMilliseconds(i % queuedOneIn == queuedOneIn - 1 ? 2 * milliseconds : milliseconds), null);
        }
    }

    [Fact]
    public void It_halves_on_an_overload_once_for_the_requests_sent_before_that()
    {
        var limit = Limit(initial: 16);
        var before = Enumerable.Range(0, 10).Select(_ => limit.Sent(16)).ToList();

        limit.Answered(before[0], TimeSpan.FromMilliseconds(5), TooMany);
        foreach (var epoch in before.Skip(1))
        {
            limit.Answered(epoch, TimeSpan.FromMilliseconds(5), new PredictionFailure(PredictionFailureKind.Transient, 8, "gRPC ResourceExhausted"));
        }

        Assert.Equal([8], _changes);
        limit.Answered(limit.Sent(8), TimeSpan.FromMilliseconds(5), new PredictionFailure(PredictionFailureKind.Outage, 503, "HTTP 503"));
        Assert.Equal([8, 4], _changes);
    }

    [Fact]
    public void It_never_goes_below_one_nor_above_the_maximum()
    {
        var limit = Limit(maximum: 5, initial: 3);
        for (var i = 0; i < 6; i++)
        {
            limit.Answered(limit.Sent(limit.Limit), TimeSpan.FromMilliseconds(5), TooMany);
        }

        Assert.Equal(1, limit.Limit);
        for (var i = 0; i < 10; i++)
        {
            Window(limit, 20);
        }

        Assert.Equal(5, limit.Limit);
        Assert.All(_changes, c => Assert.InRange(c, 1, 5));
    }

    [Fact]
    public void It_does_not_grow_when_requests_never_waited_for_the_limit()
    {
        var limit = Limit(initial: 4);
        Window(limit, 20, filled: false);
        Window(limit, 20, filled: false);

        Assert.Empty(_changes);
        Assert.Equal(4, limit.Limit);
    }

    [Fact]
    public void Failures_about_the_endpoint_and_refused_lines_are_not_overloads()
    {
        var limit = Limit(initial: 8);
        limit.Answered(limit.Sent(8), TimeSpan.FromMilliseconds(1), PredictionResponse.Unanswered(PredictionFailureKind.Outage, 0, "connection refused").Failure);
        limit.Answered(limit.Sent(8), TimeSpan.FromMilliseconds(1), new PredictionFailure(PredictionFailureKind.Misconfiguration, 404, "HTTP 404"));
        limit.Answered(limit.Sent(8), TimeSpan.FromMilliseconds(1), new PredictionFailure(PredictionFailureKind.Line, 400, "HTTP 400"));

        Assert.Empty(_changes);
        Assert.True(AdaptiveLimit.IsOverload(PredictionResponse.Unanswered(PredictionFailureKind.Transient, 0, "no answer within 60 s").Failure!));
    }

    [Fact]
    public void The_baseline_forgets_a_faster_past_after_two_periods_so_a_model_that_became_slower_is_not_starved()
    {
        var limit = Limit(initial: 8);
        Window(limit, 10);
        Assert.Equal(10, limit.Baseline);

        _clock.Advance(AdaptiveLimit.BaselinePeriod);
        Window(limit, 40); // slower for good: backs off, but the old baseline is still within two periods
        Assert.Equal(10, limit.Baseline);
        _clock.Advance(AdaptiveLimit.BaselinePeriod);
        Window(limit, 40);

        Assert.Equal(40, limit.Baseline);
    }
}
