using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;

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
    private readonly PriorityQueue<Waiter, (long Order, long Arrival)> _waiting = new();
    private readonly Stack<Waiter> _idle = new(); // waiters given their slot, to wait again
    private int _free; // below 0 after the limit was lowered while its slots were taken: they vanish as they come back
    private int _limit;
    private long _arrivals;

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

    /// <summary>Moves the number of slots to <paramref name="slots"/>; waiters get the slots it adds at once.</summary>
    public void SetLimit(int slots)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(slots, 1);
        int handed;
        lock (_lock)
        {
            var added = slots - _limit;
            _limit = slots;
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

    /// <summary>Waits for a slot; dispose the result to give it back. A request that waits (at batch size 1 nearly every
    /// one: the predict stage runs twice as many groups as there are slots) waits on a pooled <see cref="Waiter"/>, not a
    /// task, a task source and an async method's box of its own.</summary>
    public ValueTask<Slot> EnterAsync(long order, CancellationToken cancellationToken)
    {
        Waiter waiter;
        lock (_lock)
        {
            // A free slot means no live waiter: Release hands slots to waiters before freeing them.
            if (_free > 0)
            {
                _free--;
                return new ValueTask<Slot>(new Slot(this));
            }

            waiter = _idle.TryPop(out var idle) ? idle : new Waiter(this);
            _waiting.Enqueue(waiter, (order, _arrivals++));
        }

        return waiter.Wait(cancellationToken);
    }

    private void Release()
    {
        while (true)
        {
            Waiter? next;
            lock (_lock)
            {
                if (_free < 0 || !_waiting.TryDequeue(out next, out _))
                {
                    _free++;
                    return;
                }
            }

            // Outside the lock: the waiter's continuation runs here and may enter or leave the gate itself (a deep stack
            // hands it to the thread pool instead, so a chain of such hand-overs cannot overflow it). A waiter cancelled
            // meanwhile refuses the slot, which goes to the next one.
            if (next.TryGrant())
            {
                return;
            }
        }
    }

    /// <summary>Takes back a waiter whose slot was taken: it is out of the queue, so it may wait again.</summary>
    private void Recycle(Waiter waiter)
    {
        lock (_lock)
        {
            _idle.Push(waiter);
        }
    }

    /// <summary>A slot held until disposed.</summary>
    public readonly struct Slot : IDisposable
    {
        private readonly DispatchGate? _gate;

        internal Slot(DispatchGate gate) => _gate = gate;

        public void Dispose() => _gate?.Release();
    }

    /// <summary>One wait for a slot, reused: given a slot (<see cref="TryGrant"/>) or cancelled, whichever comes first.
    /// A waiter given its slot goes back to the gate's pool once its awaiter has the slot; a cancelled one stays in the
    /// queue until <see cref="Release"/> skips it, so it is never reused.</summary>
    private sealed class Waiter(DispatchGate gate) : IValueTaskSource<Slot>
    {
        private const int Waiting = 0;
        private const int Granted = 1;
        private const int Cancelled = 2;

        private readonly DispatchGate _gate = gate;

        private ManualResetValueTaskSourceCore<Slot> _core; // continuations run where the slot is handed over
        private CancellationTokenRegistration _registration;
        private CancellationToken _token;
        private int _state;

        /// <summary>Starts a wait, cancelled by <paramref name="cancellationToken"/>.</summary>
        public ValueTask<Slot> Wait(CancellationToken cancellationToken)
        {
            _token = cancellationToken;
            // The cancellation completes the wait on the thread pool, so whoever cancels does not run the waiter's way
            // out inline (a token cancelled already calls back here, at once).
            _registration = cancellationToken.UnsafeRegister(static w => ((Waiter)w!).Cancel(), this);
            return new ValueTask<Slot>(this, _core.Version);
        }

        /// <summary>Gives the waiter its slot; false when it was cancelled first.</summary>
        public bool TryGrant()
        {
            if (Interlocked.CompareExchange(ref _state, Granted, Waiting) != Waiting)
            {
                return false;
            }

            if (RuntimeHelpers.TryEnsureSufficientExecutionStack())
            {
                _core.SetResult(new Slot(_gate));
            }
            else
            {
                ThreadPool.UnsafeQueueUserWorkItem(static w => w._core.SetResult(new Slot(w._gate)), this, preferLocal: true);
            }

            return true;
        }

        private void Cancel()
        {
            if (Interlocked.CompareExchange(ref _state, Cancelled, Waiting) == Waiting)
            {
                ThreadPool.UnsafeQueueUserWorkItem(static w => w._core.SetException(new OperationCanceledException(w._token)), this, preferLocal: false);
            }
        }

        public Slot GetResult(short token)
        {
            // The registration first: a callback running now (it lost the race to the slot) is waited for.
            _registration.Dispose();
            var granted = Volatile.Read(ref _state) == Granted;
            try
            {
                return _core.GetResult(token);
            }
            finally
            {
                if (granted)
                {
                    (_registration, _token, _state) = (default, default, Waiting);
                    _core.Reset();
                    _gate.Recycle(this);
                }
            }
        }

        public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

        public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
            _core.OnCompleted(continuation, state, token, flags);
    }
}
