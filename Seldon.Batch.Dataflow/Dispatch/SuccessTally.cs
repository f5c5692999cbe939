namespace Seldon.Batch.Dataflow;

/// <summary>The answers <see cref="EndpointBreaker"/> let through without Polly while its circuit is closed and healthy,
/// counted in the windows Polly's breaker would have counted them in, so that it can be told them later (<see cref="Seal"/>),
/// each window's at the time it began, before it is told a failure.</summary>
/// <remarks>
/// Polly's breaker opens on the share of failures among the outcomes of its sampling window, kept as a queue of short
/// windows: an outcome at least <see cref="WindowDuration"/> after the current window's start starts a new one, and a
/// window leaves the sample once the sampling duration has passed since its start. So a success counts at a failure when
/// the window it fell in began less than the sampling duration before, and that start depends on every outcome since
/// Polly last reset its counts (when the circuit closed). The tally follows the same chain of windows: it is told of every
/// outcome Polly's breaker counts (<see cref="Note"/>, from its <c>ShouldHandle</c>) and of its resets
/// (<see cref="ResetWindows"/>), and advances the chain itself for the successes it counts instead.
/// Counting is lock-free (one compare-and-swap on the millisecond's slot; another on the chain when a window starts): the
/// workers share it on every answer, where a lock would be contended.
/// </remarks>
internal sealed class SuccessTally
{
    /// <summary>Polly's short window: its sampling duration over its 10 windows (Polly's <c>RollingHealthMetrics</c>).</summary>
    public static readonly TimeSpan WindowDuration = TimeSpan.FromMilliseconds(50);

    /// <summary>One slot per millisecond: a ring of about a second, twice Polly's shortest sampling duration.</summary>
    private const int Slots = 1024;

    /// <summary>The window starts kept: windows are at least 50 ms apart, so 32 cover more than the slots' second.</summary>
    private const int Starts = 32;

    /// <summary>A slot's count takes the low bits, its millisecond the others.</summary>
    private const int CountBits = 24;

    /// <summary>A sealed slot: the tally was handed over, adders must tell Polly themselves.</summary>
    private const long Sealed = -1;

    /// <summary>No window: Polly's counts were reset, and its next outcome starts one.</summary>
    private const long NoWindow = long.MinValue;

    private readonly long[] _slots = new long[Slots];
    private readonly long[] _starts = new long[Starts];
    private readonly long _startMs;
    private long _window = NoWindow;
    private int _started;

    /// <param name="start">The earliest time counted: the milliseconds are kept relative to it.</param>
    public SuccessTally(DateTimeOffset start)
    {
        _startMs = start.UtcTicks / TimeSpan.TicksPerMillisecond;
        Array.Fill(_slots, Sealed);
        Array.Fill(_starts, NoWindow);
    }

    /// <summary>Counts one success at <paramref name="now"/>; false when it was not counted (the tally is sealed, or the
    /// clock is outside what it can hold): tell Polly directly then.</summary>
    public bool Add(DateTimeOffset now)
    {
        var ms = (now.UtcTicks / TimeSpan.TicksPerMillisecond) - _startMs;
        if (ms < 0 || ms >= 1L << (63 - CountBits))
        {
            return false;
        }

        ref var slot = ref _slots[ms & (Slots - 1)];
        while (true)
        {
            var seen = Volatile.Read(ref slot);
            var slotMs = seen >> CountBits;
            if (seen == Sealed || slotMs > ms)
            {
                return false; // handed over, or a later millisecond has the slot (this thread stalled a second)
            }

            var next = slotMs == ms ? seen + 1 : (ms << CountBits) | 1;
            if (Interlocked.CompareExchange(ref slot, next, seen) == seen)
            {
                Note(now);
                return true;
            }
        }
    }

    /// <summary>An outcome Polly's breaker counted at <paramref name="now"/> (or, from <see cref="Add"/>, would have):
    /// starts a window, as Polly does, when none is open or the current one began a window's duration before.</summary>
    public void Note(DateTimeOffset now)
    {
        var ticks = now.UtcTicks;
        while (true)
        {
            var window = Volatile.Read(ref _window);
            if (window != NoWindow && ticks - window < WindowDuration.Ticks)
            {
                return;
            }

            if (Interlocked.CompareExchange(ref _window, ticks, window) == window)
            {
                Volatile.Write(ref _starts[(Interlocked.Increment(ref _started) - 1) & (Starts - 1)], ticks);
                return;
            }
        }
    }

    /// <summary>Polly reset its counts (the circuit closed): its next outcome starts a window.</summary>
    public void ResetWindows() => Volatile.Write(ref _window, NoWindow);

    /// <summary>Starts counting again (after <see cref="Seal"/>, or at first); the chain of windows goes on.</summary>
    public void Open()
    {
        for (var i = 0; i < Slots; i++)
        {
            Volatile.Write(ref _slots[i], 0);
        }
    }

    /// <summary>Stops counting and returns the successes counted in each window that began at or after
    /// <paramref name="since"/>, earliest first: the window's start (the time to tell Polly of them, so that it starts
    /// the same window) and its successes.</summary>
    public List<(DateTimeOffset At, int Successes)> Seal(DateTimeOffset since)
    {
        var starts = new List<long>(Starts);
        foreach (var start in _starts)
        {
            if (start != NoWindow && start >= since.UtcTicks)
            {
                starts.Add(start);
            }
        }

        starts.Sort();
        var counts = new int[starts.Count];
        for (var i = 0; i < Slots; i++)
        {
            var seen = Interlocked.Exchange(ref _slots[i], Sealed);
            var count = (int)(seen & ((1L << CountBits) - 1));
            if (seen != Sealed && count > 0 && WindowOf(starts, ((seen >> CountBits) + _startMs) * TimeSpan.TicksPerMillisecond) is var k and >= 0)
            {
                counts[k] += count;
            }
        }

        var counted = new List<(DateTimeOffset, int)>(starts.Count);
        for (var k = 0; k < starts.Count; k++)
        {
            if (counts[k] > 0)
            {
                counted.Add((new DateTimeOffset(starts[k], TimeSpan.Zero), counts[k]));
            }
        }

        return counted;
    }

    /// <summary>The window of <paramref name="starts"/> (sorted) a success in the millisecond from <paramref name="ticks"/>
    /// fell in: the last that began within that millisecond or before; -1 when it began before all of them.</summary>
    private static int WindowOf(List<long> starts, long ticks)
    {
        var k = starts.BinarySearch(ticks + TimeSpan.TicksPerMillisecond - 1);
        return k >= 0 ? k : ~k - 1;
    }
}
