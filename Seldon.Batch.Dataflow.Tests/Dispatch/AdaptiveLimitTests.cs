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
        Window(limit, 20, filled: false); // the baseline (the third lowest window median)
        Window(limit, 20, filled: false);
        Window(limit, 20); // and a slow-start step to 40
        Window(limit, 20 * AdaptiveLimit.Tolerance * 1.1); // once: not grown on
        Assert.Equal([40], _changes);
        Window(limit, 20 * AdaptiveLimit.Tolerance * 1.1); // twice in a row: backed off

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
    public void One_window_somewhat_slower_is_not_backed_off_on_nor_grown_on_but_two_in_a_row_are_backed_off_on()
    {
        var limit = Limit(initial: 8);
        Window(limit, 20, filled: false); // the baseline (the third lowest window median)
        Window(limit, 20, filled: false);
        Window(limit, 20, filled: false);
        Window(limit, 24); // 1.2 × the baseline once: a pause of the client's own machine as often as the server
        Assert.Empty(_changes);

        Window(limit, 24);
        Assert.Equal([6], _changes); // 8 × 20 ÷ 24
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

    /// <summary>One full window whose answers take the <paramref name="milliseconds"/> in turn, each request sent with
    /// <paramref name="inFlight"/> on the wire (the limit when null: it was full).</summary>
    private static void PatternWindow(AdaptiveLimit limit, int? inFlight, params double[] milliseconds)
    {
        var size = Math.Max(AdaptiveLimit.MinWindow, 2 * limit.Limit);
        for (var i = 0; i < size; i++)
        {
            var epoch = limit.Sent(inFlight ?? limit.Limit);
            limit.Answered(epoch, TimeSpan.FromMilliseconds(milliseconds[i % milliseconds.Length]), null);
        }
    }

    /// <summary>A server of capacity 8 and 20 ms at 9 in flight: two requests in nine wait 8 ms. Neither the median (20 ms)
    /// nor the 90th percentile (28 ms, within 1.5 × 20) moves enough for the latency rules; the mean is 21.8 ms, so 9 bring
    /// 9 ÷ 21.8 ms = 413 answers/s against 8 ÷ 20 ms = 400 at 8: 3 % more, where one request more could bring 12.5 %.</summary>
    private static readonly double[] NineOnCapacityEight = [20, 20, 20, 20, 20, 20, 20, 28, 28];

    /// <summary>Leaves the slow start at 8 (a 429 at 16), so that the limit grows by one.</summary>
    private AdaptiveLimit AtEightAfterSlowStart()
    {
        var limit = Limit(initial: 16);
        limit.Answered(limit.Sent(16), TimeSpan.FromMilliseconds(5), TooMany);
        Assert.Equal(8, limit.Limit);
        return limit;
    }

    [Fact]
    public void An_increase_that_brings_no_throughput_is_undone_at_once_and_held()
    {
        var limit = AtEightAfterSlowStart();
        Window(limit, 20); // 8 → 9
        PatternWindow(limit, null, NineOnCapacityEight); // 3 % more answers/s: less than half of 12.5 %, back to 8
        Assert.Equal([8, 9, 8], _changes);

        for (var i = 0; i < AdaptiveLimit.HoldWindows; i++)
        {
            Window(limit, 20);
        }

        Assert.Equal(8, limit.Limit);
        Window(limit, 20);
        Assert.Equal([8, 9, 8, 9], _changes);
    }

    [Fact]
    public void An_increase_that_brings_throughput_is_kept()
    {
        var limit = AtEightAfterSlowStart();
        Window(limit, 20); // 8 → 9
        Window(limit, 20); // 9 at 20 ms bring 12.5 % more answers/s than 8: kept, and it grows again
        Assert.Equal([8, 9, 10], _changes);
    }

    [Fact]
    public void A_probe_that_gained_by_chance_is_undone_when_the_next_one_shows_no_gain_and_its_own_level_is_judged_again()
    {
        var limit = AtEightAfterSlowStart();
        Window(limit, 20); // 8 → 9
        Window(limit, 20); // one window fast by chance: 9 kept, 9 → 10
        PatternWindow(limit, null, 20, 20, 20, 20, 20, 20, 20, 20, 28, 28); // 10: 2.6 % more than 9: back to 9
        Assert.Equal([8, 9, 10, 9], _changes);

        PatternWindow(limit, null, NineOnCapacityEight); // 9 measured again brings 3 % over 8: back to 8
        Assert.Equal([8, 9, 10, 9, 8], _changes);
    }

    [Fact]
    public void A_limit_that_lasted_several_windows_is_not_judged_again_on_older_figures_after_a_probe_above_it_is_undone()
    {
        var limit = Limit(initial: 8);
        Window(limit, 20, filled: false); // the baseline
        limit.Answered(limit.Sent(8), TimeSpan.FromMilliseconds(5), TooMany); // 4, growing by one from now on
        while (limit.Limit < 9)
        {
            Window(limit, 20);
        }

        PatternWindow(limit, null, NineOnCapacityEight); // 9 undone
        for (var i = 0; i < AdaptiveLimit.HoldWindows + 1; i++)
        {
            Window(limit, 20); // 8 held, then a probe: 9
        }

        PatternWindow(limit, null, NineOnCapacityEight); // undone again: 8, which lasted nine windows this time
        Assert.Equal([4, 5, 6, 7, 8, 9, 8, 9, 8], _changes);

        // The machine gets busier: 8 at 22 ms bring less than 7 did minutes ago (350 answers/s), which says nothing
        // about 8 now. Judged on those figures, every limit under it would be walked down in turn.
        Window(limit, 22);
        Window(limit, 22);
        Assert.Equal(8, limit.Limit);
    }

    [Fact]
    public void Only_one_limit_under_an_undone_increase_is_judged_again()
    {
        var limit = Limit(initial: 8);
        Window(limit, 20, filled: false); // the baseline
        limit.Answered(limit.Sent(8), TimeSpan.FromMilliseconds(5), TooMany); // 4, growing by one from now on
        while (limit.Limit < 9)
        {
            Window(limit, 20); // each limit kept on one window
        }

        PatternWindow(limit, null, NineOnCapacityEight); // 9 undone: 8, kept on one window, is judged again
        Window(limit, 22); // 8 now bring less than 7 did: undone too, to 7
        Assert.Equal([4, 5, 6, 7, 8, 9, 8, 7], _changes);

        Window(limit, 22.5); // 7 bring less than 6 did, but a busy machine is not walked down a limit a window
        Window(limit, 22.5);
        Assert.Equal(7, limit.Limit);
    }

    [Fact]
    public void Windows_held_back_by_the_input_are_not_taken_for_the_servers_throughput()
    {
        var limit = AtEightAfterSlowStart();
        Window(limit, 20); // 8 → 9
        PatternWindow(limit, 3, NineOnCapacityEight); // 3 on the wire: 9 was not used and says nothing about the server
        Assert.Equal([8, 9], _changes);
    }

    [Fact]
    public void The_hold_after_a_back_off_is_as_many_round_trips_at_a_low_limit_as_at_a_high_one()
    {
        var limit = Limit(initial: 2);
        Window(limit, 20); // 2 → 4
        Window(limit, 40); // 4 → 2, held for 2 windows of 16 answers (16 round trips, as 8 windows at 8 are)
        Window(limit, 20);
        Window(limit, 20);
        Assert.Equal([4, 2], _changes);

        Window(limit, 20);
        Assert.Equal([4, 2, 3], _changes);
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
