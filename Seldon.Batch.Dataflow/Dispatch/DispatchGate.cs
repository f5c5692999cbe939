namespace Seldon.Batch.Dataflow;

/// <summary>Bounds the requests in flight (<c>--workers</c>) and, when all slots are taken, hands the next free one to
/// the waiting request with the lowest order (the earliest line), not to the one that has waited longest.</summary>
/// <remarks>System.Threading.RateLimiting's <c>ConcurrencyLimiter</c> serves waiters only in arrival order. Here a
/// request that comes back from its retry delay would queue behind the thousands of later lines of the ordered window,
/// and the output, which cannot move past it, would stall for that long; serving the earliest line first lets it through
/// at once. The number of slots may move (<see cref="SetLimit"/>, <c>--workers auto</c>): a lower limit takes effect as
/// slots are given back, a higher one at once.</remarks>
internal sealed class DispatchGate
{
    private readonly object _lock = new();
    private readonly PriorityQueue<TaskCompletionSource, (long Order, long Arrival)> _waiting = new();
    private int _free; // below 0 after the limit was lowered while its slots were taken: they vanish as they come back
    private int _limit;
    private long _arrivals;
    private long _waits;

    public DispatchGate(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        _free = slots;
        _limit = slots;
    }

    /// <summary>Slots taken now.</summary>
    public int InUse
    {
        get
        {
            lock (_lock)
            {
                return _limit - _free;
            }
        }
    }

    /// <summary>The number of slots now.</summary>
    public int Limit => Volatile.Read(ref _limit);

    /// <summary>The requests that found no free slot and waited for one (for tests: a file run at steady state starts
    /// no more requests than there are slots, so none waits).</summary>
    internal long Waits => Interlocked.Read(ref _waits);

    /// <summary>Moves the number of slots to <paramref name="slots"/>; waiters get the slots it adds at once.</summary>
    public void SetLimit(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        int handed;
        lock (_lock)
        {
            var added = slots - _limit;
            Volatile.Write(ref _limit, slots);
            _free += added;
            handed = Math.Clamp(Math.Min(added, _free), 0, int.MaxValue);
            _free -= handed;
        }

        // Each slot really freed goes through Release's hand-over: to the earliest waiter, or free again.
        for (; handed > 0; handed--)
        {
            Release();
        }
    }

    /// <summary>Waits for a slot; dispose the result to give it back.</summary>
    public async ValueTask<Slot> EnterAsync(long order, CancellationToken cancellationToken)
    {
        TaskCompletionSource waiter;
        lock (_lock)
        {
            // A free slot means no live waiter: Release hands slots to waiters before freeing them.
            if (_free > 0)
            {
                _free--;
                return new Slot(this);
            }

            // Continuations run synchronously: the request that gives a slot back sends the waiter's request on its own
            // thread (Release hands over outside the lock), instead of a hop through the thread pool per request.
            waiter = new TaskCompletionSource();
            _waiting.Enqueue(waiter, (order, _arrivals++));
            _waits++;
        }

        // A cancelled waiter stays queued and is skipped by Release, which cannot hand it the slot any more. The
        // cancellation completes it on the thread pool, so whoever cancels does not run the waiter's way out inline.
        await using (cancellationToken.UnsafeRegister(static w => ThreadPool.UnsafeQueueUserWorkItem(
                         static w => w.TrySetCanceled(), (TaskCompletionSource)w!, preferLocal: false), waiter).ConfigureAwait(false))
        {
            await waiter.Task.ConfigureAwait(false);
        }

        return new Slot(this);
    }

    private void Release()
    {
        while (true)
        {
            TaskCompletionSource? next;
            lock (_lock)
            {
                if (_free < 0 || !_waiting.TryDequeue(out next, out _))
                {
                    _free++;
                    return;
                }
            }

            // Outside the lock: the waiter's continuation runs here and may enter or leave the gate itself (the task
            // runtime goes asynchronous when the stack gets deep, so a chain of such hand-overs cannot overflow it). A
            // waiter cancelled meanwhile refuses the slot, which goes to the next one.
            if (next.TrySetResult())
            {
                return;
            }
        }
    }

    /// <summary>A slot held until disposed.</summary>
    public readonly struct Slot : IDisposable
    {
        private readonly DispatchGate? _gate;

        internal Slot(DispatchGate gate) => _gate = gate;

        public void Dispose() => _gate?.Release();
    }
}
