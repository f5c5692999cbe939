namespace Seldon.Batch.Dataflow;

/// <summary>The answers <see cref="EndpointBreaker"/> let through without Polly while its circuit is closed and healthy,
/// counted per millisecond of the breaker's clock, so that Polly's breaker can be told them later, each at the time it
/// happened (<see cref="Seal"/>), before it is told a failure.</summary>
/// <remarks>Polly's breaker opens on the share of failures among the outcomes of its sampling window, so the successes
/// it did not see must still count, in the windows they fell in. Adding is lock-free (one compare-and-swap on the
/// millisecond's slot): the workers share it on every answer, where a lock would be contended.</remarks>
internal sealed class SuccessTally
{
    /// <summary>One slot per millisecond: a ring of about a second, twice Polly's shortest sampling duration.</summary>
    private const int Slots = 1024;

    /// <summary>A slot's count takes the low bits, its millisecond the others.</summary>
    private const int CountBits = 24;

    /// <summary>A sealed slot: the tally was handed over, adders must tell Polly themselves.</summary>
    private const long Sealed = -1;

    private readonly long[] _slots = new long[Slots];
    private readonly long _startMs;

    /// <param name="start">The earliest time counted: the milliseconds are kept relative to it.</param>
    public SuccessTally(DateTimeOffset start)
    {
        _startMs = start.UtcTicks / TimeSpan.TicksPerMillisecond;
        Array.Fill(_slots, Sealed);
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
                return true;
            }
        }
    }

    /// <summary>Starts counting again (after <see cref="Seal"/>, or at first).</summary>
    public void Open()
    {
        for (var i = 0; i < Slots; i++)
        {
            Volatile.Write(ref _slots[i], 0);
        }
    }

    /// <summary>Stops counting and returns what was counted at or after <paramref name="since"/>, earliest first: the
    /// time of each millisecond and its successes.</summary>
    public List<(DateTimeOffset At, int Successes)> Seal(DateTimeOffset since)
    {
        var sinceMs = (since.UtcTicks / TimeSpan.TicksPerMillisecond) - _startMs;
        var counted = new List<(DateTimeOffset, int)>();
        for (var i = 0; i < Slots; i++)
        {
            var seen = Interlocked.Exchange(ref _slots[i], Sealed);
            var ms = seen >> CountBits;
            var count = (int)(seen & ((1L << CountBits) - 1));
            if (seen != Sealed && count > 0 && ms >= sinceMs)
            {
                counted.Add((new DateTimeOffset((ms + _startMs) * TimeSpan.TicksPerMillisecond, TimeSpan.Zero), count));
            }
        }

        counted.Sort(static (a, b) => a.Item1.CompareTo(b.Item1));
        return counted;
    }
}
