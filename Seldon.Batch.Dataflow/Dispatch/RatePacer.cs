namespace Seldon.Batch.Dataflow;

/// <summary>Paces the requests of <c>--max-rate</c>: each request (or each line, for a rate in lines) is given the next
/// free moment of a schedule spaced 1/rate apart, and waits for it on the run's clock (the generic cell rate algorithm,
/// a token bucket written as "when is the next token due").</summary>
/// <remarks>
/// <para>System.Threading.RateLimiting's <c>TokenBucketRateLimiter</c> was measured first: it adds its whole tokens each
/// time its timer fires, so a timer that fires late loses them; on a busy machine its 10 ms timer fired every 12 to 15
/// ms and 200 requests/s came out as 133 to 156 (0.66 to 0.78). Here the schedule advances by exact amounts whatever
/// the timers do: a wait that ends late makes the next requests go at once until the schedule is caught up, so the rate
/// over a minute is the rate asked for.</para>
/// <para>The burst is small: after an idle stretch the schedule restarts from now, with credit for at most
/// <see cref="Burst"/> (10 ms of the rate, or one request), so requests are spread evenly rather than sent in a lump
/// each second. Waiters are served in the order they asked (the dispatch gate has already put the earliest line first).</para>
/// </remarks>
internal sealed class RatePacer
{
    /// <summary>How much of the rate may be sent at once after an idle stretch.</summary>
    internal static readonly TimeSpan Burst = TimeSpan.FromMilliseconds(10);

    private readonly object _lock = new();
    private readonly TimeProvider _time;
    private readonly double _ticksPerToken;
    private readonly double _credit;
    private readonly long _origin;
    private double _next; // in timestamp ticks since _origin: small enough for a double to hold exactly

    /// <param name="rate">The rate: requests, or lines, per second (positive).</param>
    /// <param name="time">The clock the waits are on.</param>
    public RatePacer(RequestRate rate, TimeProvider time)
    {
        _time = time;
        _ticksPerToken = time.TimestampFrequency / rate.PerSecond;
        _credit = Math.Max(_ticksPerToken, Burst.TotalSeconds * time.TimestampFrequency);
        _origin = time.GetTimestamp();
        _next = -_credit;
        CountsRows = rate.CountsRows;
    }

    /// <summary>Whether a request costs as many tokens as it carries lines.</summary>
    public bool CountsRows { get; }

    /// <summary>How long a request of <paramref name="tokens"/> must wait from now for its moment, which it takes.</summary>
    internal TimeSpan Reserve(int tokens)
    {
        double now = _time.GetTimestamp() - _origin;
        double at;
        lock (_lock)
        {
            // Idle for longer than the credit: the schedule restarts from now, less the credit (a small burst).
            at = Math.Max(_next, now - _credit);
            _next = at + (tokens * _ticksPerToken);
        }

        // The request goes at its moment and pays for its tokens after it: the next one waits for them.
        var due = at - now;
        // Rounded up to the tick, so no request wakes before its moment; the schedule itself is kept unrounded.
        return due <= 0 ? TimeSpan.Zero : TimeSpan.FromTicks((long)Math.Ceiling(due * TimeSpan.TicksPerSecond / _time.TimestampFrequency));
    }

    /// <summary>Waits until a request of <paramref name="lines"/> lines may go.</summary>
    public ValueTask WaitAsync(int lines, CancellationToken cancellationToken)
    {
        var wait = Reserve(CountsRows ? Math.Max(1, lines) : 1);
        return wait == TimeSpan.Zero ? ValueTask.CompletedTask : new ValueTask(Task.Delay(wait, _time, cancellationToken));
    }
}
