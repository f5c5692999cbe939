using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>A Dataflow block that runs an asynchronous function on each input, a bounded number at a time, and hands the
/// results in input order to its one linked target, with one thread-pool work item per finished input: an input starts
/// on the thread that offers it while fewer than the parallelism are running; when one finishes, a work item starts the
/// next waiting input and delivers every result ready from the head of the order on (one thread at a time, so in
/// order).</summary>
/// <remarks>
/// <para>A <see cref="TransformBlock{TInput, TOutput}"/> does the same with three hand-overs per message at batch size
/// 1: a task to take the next input when one finishes, a task to offer its ordered output, and the target's own task to
/// run it. The finished input's own thread (an answer's: the work item that completes the sockets' events) is not
/// kept for that work: doing it there cost 18 % more CPU per request at batch size 1 and 13 % per row at 32 than one
/// work item more, with as many context switches (issue 22, docs/performance.md).</para>
/// <para>This block keeps its contract where the file run needs it: inputs, running work and results waiting for the
/// ones before them count against <c>capacity</c> (an input past it is postponed and consumed once there is room),
/// completion and faults propagate to the target when linked with <see cref="DataflowLinkOptions.PropagateCompletion"/>,
/// and <see cref="IDataflowBlock.Completion"/> ends once every result was delivered.</para>
/// <para>A cancelled token or a fault drops the inputs not started and stops taking more; the work running finishes,
/// and the results before the first one missing are still delivered in order, then the block completes cancelled or
/// faulted. An <see cref="OperationCanceledException"/> of the function after the token was cancelled is a missing
/// result, any other exception the block's fault.</para>
/// <para>One target only (a second <see cref="LinkTo"/> throws, until the first link is disposed); link options other
/// than <see cref="DataflowLinkOptions.PropagateCompletion"/> are not supported. The function and the target run on
/// whatever thread offered an input, or on the work item a finished input queued: they must not block for long.</para>
/// </remarks>
/// <typeparam name="TInput">The inputs.</typeparam>
/// <typeparam name="TOutput">Their results.</typeparam>
internal sealed class InlineOrderedBlock<TInput, TOutput> : IPropagatorBlock<TInput, TOutput>
{
    /// <summary>The block pumping on this thread, so that work completing synchronously inside a pump does not start one
    /// more level of recursion but leaves its result to the pump's loop.</summary>
    [ThreadStatic]
    private static InlineOrderedBlock<TInput, TOutput>? t_pumping;

    private readonly Func<TInput, ValueTask<TOutput>> _work;
    private readonly int _mostParallel;
    private readonly Func<int>? _parallelismNow;
    private readonly Action? _completing;
    private readonly CancellationToken _cancellationToken;
    private readonly Lock _lock = new();
    private readonly Queue<(long Sequence, TInput Input)> _waiting = new();
    private readonly List<(ISourceBlock<TInput> Source, DataflowMessageHeader Header)> _postponed = [];
    private readonly TOutput[] _results;
    private readonly bool[] _ready;
    private readonly Stack<Runner> _runners = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly CancellationTokenRegistration _onCancel;

    private int _parallelism;
    private long _nextIn;
    private long _nextOut;
    private int _running;
    private int _claimed;
    private bool _declining;
    private bool _canceled;
    private Exception? _fault;
    private bool _completed;
    private bool _delivering;
    private bool _offered;
    private ITargetBlock<TOutput>? _reservedBy;
    private ITargetBlock<TOutput>? _target;
    private bool _propagate;

    /// <param name="work">The function run on each input; its task's result is the output.</param>
    /// <param name="parallelism">The most inputs running at once.</param>
    /// <param name="capacity">The most inputs held at once: waiting, running, or answered and waiting for earlier ones
    /// (at least <paramref name="parallelism"/>).</param>
    /// <param name="cancellationToken">Stops the block (see the remarks).</param>
    /// <param name="completing">Called once, when the block is about to complete and before its target hears of it.</param>
    /// <param name="parallelismNow">How many inputs may run now (from 1 to <paramref name="parallelism"/>), read when the
    /// block is made and at each <see cref="ParallelismChanged"/>; null for <paramref name="parallelism"/> always.</param>
    public InlineOrderedBlock(
        Func<TInput, ValueTask<TOutput>> work, int parallelism, int capacity, CancellationToken cancellationToken, Action? completing = null, Func<int>? parallelismNow = null)
    {
        ArgumentNullException.ThrowIfNull(work);
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, parallelism);
        _work = work;
        _mostParallel = parallelism;
        _parallelismNow = parallelismNow;
        _parallelism = ParallelismNow();
        _completing = completing;
        _cancellationToken = cancellationToken;
        _results = new TOutput[capacity];
        _ready = new bool[capacity];
        _onCancel = cancellationToken.UnsafeRegister(static b => ((InlineOrderedBlock<TInput, TOutput>)b!).Stop(canceled: true, fault: null), this);
    }

    /// <summary>The block over a function that returns a <see cref="Task{TResult}"/>.</summary>
    /// <param name="work">The function run on each input; its task's result is the output.</param>
    /// <param name="parallelism">The most inputs running at once.</param>
    /// <param name="capacity">The most inputs held at once (see the other constructor).</param>
    /// <param name="cancellationToken">Stops the block (see the remarks).</param>
    /// <param name="completing">Called once, when the block is about to complete and before its target hears of it.</param>
    /// <param name="parallelismNow">How many inputs may run now (see the other constructor).</param>
    public InlineOrderedBlock(
        Func<TInput, Task<TOutput>> work, int parallelism, int capacity, CancellationToken cancellationToken, Action? completing = null, Func<int>? parallelismNow = null)
        : this(Wrap(work), parallelism, capacity, cancellationToken, completing, parallelismNow)
    {
    }

    /// <inheritdoc/>
    public Task Completion => _completion.Task;

    /// <summary>The inputs running now (for tests of the bound).</summary>
    public int Running
    {
        get
        {
            lock (_lock)
            {
                return _running;
            }
        }
    }

    /// <summary>Reads the parallelism again (the constructor's <c>parallelismNow</c>): more inputs start at once, on the
    /// thread pool, when it rose; fewer start from now on when it fell (those running finish). Any thread may call it, at
    /// any time, as often as the parallelism may have moved: the last call leaves the value read last.</summary>
    public void ParallelismChanged()
    {
        bool rose;
        lock (_lock)
        {
            // Read under the lock, so that two changes told on two threads cannot leave the older value.
            var now = ParallelismNow();
            rose = now > _parallelism;
            _parallelism = now;
        }

        if (rose)
        {
            // Not inline: the caller is inside some input's work (a request going into backoff, say).
            ThreadPool.UnsafeQueueUserWorkItem(static b => b.Pump(), this, preferLocal: false);
        }
    }

    private int ParallelismNow() => _parallelismNow is null ? _mostParallel : Math.Clamp(_parallelismNow(), 1, _mostParallel);

    /// <inheritdoc/>
    public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, TInput messageValue, ISourceBlock<TInput>? source, bool consumeToAccept)
    {
        if (!messageHeader.IsValid)
        {
            throw new ArgumentException("The message header is not valid.", nameof(messageHeader));
        }

        if (source is null && consumeToAccept)
        {
            throw new ArgumentException("consumeToAccept needs a source to consume from.", nameof(consumeToAccept));
        }

        lock (_lock)
        {
            if (_declining)
            {
                return DataflowMessageStatus.DecliningPermanently;
            }

            if (IsFull)
            {
                if (source is null)
                {
                    return DataflowMessageStatus.Declined;
                }

                Postpone(source, messageHeader);
                return DataflowMessageStatus.Postponed;
            }

            if (!consumeToAccept)
            {
                _waiting.Enqueue((_nextIn++, messageValue));
            }
            else
            {
                _claimed++;
            }
        }

        if (consumeToAccept && !Consume(source!, messageHeader))
        {
            return DataflowMessageStatus.NotAvailable;
        }

        Pump();
        return DataflowMessageStatus.Accepted;
    }

    /// <inheritdoc/>
    public IDisposable LinkTo(ITargetBlock<TOutput> target, DataflowLinkOptions linkOptions)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(linkOptions);
        bool completed;
        lock (_lock)
        {
            if (_target is not null)
            {
                throw new NotSupportedException("This block delivers to one target; dispose the first link before linking another.");
            }

            (_target, _propagate, completed) = (target, linkOptions.PropagateCompletion, _completed);
        }

        if (completed)
        {
            Propagate(target, linkOptions.PropagateCompletion);
        }
        else
        {
            Pump();
        }

        return new Link(this, target);
    }

    /// <inheritdoc/>
    public void Complete()
    {
        lock (_lock)
        {
            _declining = true;
            _postponed.Clear();
        }

        Pump();
    }

    /// <inheritdoc/>
    public void Fault(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Stop(canceled: false, exception);
    }

    /// <inheritdoc/>
    public TOutput? ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<TOutput> target, out bool messageConsumed)
    {
        TOutput value;
        lock (_lock)
        {
            if (!_offered || messageHeader.Id != _nextOut + 1 || (_reservedBy is not null && _reservedBy != target))
            {
                messageConsumed = false;
                return default;
            }

            value = Take();
            (_offered, _reservedBy) = (false, null);
        }

        messageConsumed = true;
        // The target consumes on its own thread, perhaps under its own lock: deliver the next ones elsewhere.
        ThreadPool.UnsafeQueueUserWorkItem(static b => b.Pump(), this, preferLocal: true);
        return value;
    }

    /// <inheritdoc/>
    public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<TOutput> target)
    {
        lock (_lock)
        {
            if (!_offered || messageHeader.Id != _nextOut + 1 || _reservedBy is not null)
            {
                return false;
            }

            _reservedBy = target;
            return true;
        }
    }

    /// <inheritdoc/>
    public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<TOutput> target)
    {
        lock (_lock)
        {
            if (_reservedBy != target || messageHeader.Id != _nextOut + 1)
            {
                throw new InvalidOperationException("The message was not reserved by this target.");
            }

            // Offered again, as Dataflow's sources do after a released reservation.
            (_reservedBy, _offered) = (null, false);
        }

        ThreadPool.UnsafeQueueUserWorkItem(static b => b.Pump(), this, preferLocal: true);
    }

    /// <summary>Starts what may start, delivers what is ready, takes postponed inputs while there is room, until none of
    /// them moves; then completes the block if it is done.</summary>
    private void Pump()
    {
        if (t_pumping == this)
        {
            // Work completing synchronously within this thread's pump: the loop below picks its result up.
            return;
        }

        var previous = t_pumping;
        t_pumping = this;
        try
        {
            bool moved;
            do
            {
                moved = StartWaiting();
                moved |= Deliver();
                moved |= TakePostponed();
            }
            while (moved);
        }
        finally
        {
            t_pumping = previous;
        }

        TryComplete();
    }

    private bool StartWaiting()
    {
        var started = false;
        while (true)
        {
            (long Sequence, TInput Input) next;
            Runner? runner;
            lock (_lock)
            {
                if (_running >= _parallelism || !_waiting.TryDequeue(out next))
                {
                    return started;
                }

                _running++;
                _runners.TryPop(out runner);
            }

            started = true;
            Start(runner ?? new Runner(this), next.Sequence, next.Input);
        }
    }

    /// <summary>Runs the work of one input; its result is taken by <see cref="Completed"/>, at once or on the thread that
    /// completes it.</summary>
    private void Start(Runner runner, long sequence, TInput input)
    {
        ValueTask<TOutput> work;
        try
        {
            work = _work(input);
        }
        catch (Exception ex)
        {
            work = ValueTask.FromException<TOutput>(ex);
        }

        var awaiter = work.ConfigureAwait(false).GetAwaiter();
        if (awaiter.IsCompleted)
        {
            Completed(runner, sequence, awaiter);
        }
        else
        {
            runner.Await(sequence, awaiter);
        }
    }

    /// <summary>Takes a finished input's result (or its cancellation, or its fault) into the window, gives its runner
    /// back, and has a work item start the next input and deliver what is ready (see the remarks).</summary>
    private void Completed(Runner runner, long sequence, ConfiguredValueTaskAwaitable<TOutput>.ConfiguredValueTaskAwaiter awaiter)
    {
        TOutput result;
        try
        {
            // Before the next input starts: a pooled task is given back to its pool here, and the next one takes it.
            result = awaiter.GetResult();
        }
        catch (OperationCanceledException) when (_cancellationToken.IsCancellationRequested)
        {
            Release(runner);
            Stop(canceled: true, fault: null);
            return;
        }
        catch (Exception ex)
        {
            Release(runner);
            Stop(canceled: false, ex);
            return;
        }

        lock (_lock)
        {
            var slot = (int)(sequence % _results.Length);
            (_results[slot], _ready[slot]) = (result, true);
            _running--;
            _runners.Push(runner);
        }

        // Within this block's pump on this thread (the work completed synchronously), the pump's loop takes it up.
        if (t_pumping != this)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static b => b.Pump(), this, preferLocal: true);
        }
    }

    /// <summary>Counts an input that ended without a result as no longer running, and keeps its runner.</summary>
    private void Release(Runner runner)
    {
        lock (_lock)
        {
            _running--;
            _runners.Push(runner);
        }
    }

    /// <summary>Delivers the ready results from the head of the order on, unless another thread is delivering or the
    /// target postponed the head; returns whether it delivered any.</summary>
    private bool Deliver()
    {
        ITargetBlock<TOutput> target;
        TOutput value;
        long id;
        lock (_lock)
        {
            if (_delivering || _offered || !TryPeekHead(out target, out value, out id))
            {
                return false;
            }

            // Offered from here on: a target that postpones may consume (or reserve) the head on its own thread before
            // its OfferMessage returns here, and must find it offered.
            (_delivering, _offered) = (true, true);
        }

        var delivered = false;
        while (true)
        {
            var status = target.OfferMessage(new DataflowMessageHeader(id), value, this, consumeToAccept: false);
            lock (_lock)
            {
                if (status == DataflowMessageStatus.Accepted)
                {
                    // Taken, and the next one looked at under the same lock: one lock per result delivered.
                    Take();
                    delivered = true;
                    if (TryPeekHead(out target, out value, out id))
                    {
                        continue;
                    }

                    (_delivering, _offered) = (false, false);
                    return delivered;
                }

                _delivering = false;
                if (status == DataflowMessageStatus.Postponed)
                {
                    // The target consumes (or reserves and releases) the head later; if it already did, meanwhile, the
                    // head is no longer offered and the pump looks again (its own pump saw this delivery and did not).
                    return delivered || !_offered;
                }

                _offered = false;
                if (_target == target)
                {
                    // A target that declines is done: the results wait for another one.
                    _target = null;
                }

                return delivered;
            }
        }
    }

    /// <summary>The head result, its target and its message id, when it is ready and there is a target; under the lock.</summary>
    private bool TryPeekHead(out ITargetBlock<TOutput> target, out TOutput value, out long id)
    {
        var slot = (int)(_nextOut % _results.Length);
        if (_target is null || _nextOut == _nextIn || !_ready[slot])
        {
            (target, value, id) = (null!, default!, 0);
            return false;
        }

        (target, value, id) = (_target, _results[slot], _nextOut + 1);
        return true;
    }

    /// <summary>Takes the head result out of the window; under the lock.</summary>
    private TOutput Take()
    {
        var slot = (int)(_nextOut % _results.Length);
        var value = _results[slot];
        (_results[slot], _ready[slot]) = (default!, false);
        _nextOut++;
        return value;
    }

    /// <summary>Whether the window is full: inputs held and inputs being consumed; under the lock.</summary>
    private bool IsFull => _nextIn - _nextOut + _claimed >= _results.Length;

    /// <summary>Remembers a source's postponed input, its latest one only (a source offers its head again when it has
    /// more); under the lock.</summary>
    private void Postpone(ISourceBlock<TInput> source, DataflowMessageHeader header)
    {
        var known = _postponed.FindIndex(p => p.Source == source);
        if (known >= 0)
        {
            _postponed[known] = (source, header);
        }
        else
        {
            _postponed.Add((source, header));
        }
    }

    /// <summary>Consumes an input the window claimed room for, outside the lock (a source consumes under its own lock,
    /// which it may hold while it offers to this block); returns whether it was consumed.</summary>
    private bool Consume(ISourceBlock<TInput> source, DataflowMessageHeader header)
    {
        var value = source.ConsumeMessage(header, this, out var consumed);
        lock (_lock)
        {
            _claimed--;
            if (consumed && !_declining)
            {
                _waiting.Enqueue((_nextIn++, value!));
            }
        }

        return consumed;
    }

    /// <summary>Consumes postponed inputs while the window has room; returns whether it took any.</summary>
    private bool TakePostponed()
    {
        var took = false;
        while (true)
        {
            (ISourceBlock<TInput> Source, DataflowMessageHeader Header) postponed;
            lock (_lock)
            {
                if (_declining || IsFull || _postponed.Count == 0)
                {
                    return took;
                }

                postponed = _postponed[0];
                _postponed.RemoveAt(0);
                _claimed++;
            }

            took |= Consume(postponed.Source, postponed.Header);
        }
    }

    /// <summary>Stops taking inputs and drops those not started: for a cancelled token, or a fault.</summary>
    private void Stop(bool canceled, Exception? fault)
    {
        lock (_lock)
        {
            _declining = true;
            _canceled |= canceled;
            _fault ??= fault;
            _postponed.Clear();
            _waiting.Clear();
        }

        Pump();
    }

    /// <summary>Completes the block when nothing runs and nothing more can be delivered: every input delivered, or, once
    /// stopped, the results before the first missing one delivered (or no target left to take them).</summary>
    private void TryComplete()
    {
        ITargetBlock<TOutput>? target;
        bool propagate;
        lock (_lock)
        {
            if (_completed || !_declining || _running > 0 || _delivering || _claimed > 0)
            {
                return;
            }

            var deliverable = _target is not null && _nextOut < _nextIn && _ready[(int)(_nextOut % _results.Length)];
            var stopped = _canceled || _fault is not null;
            if (stopped ? deliverable && !_offered : _waiting.Count > 0 || _nextOut < _nextIn)
            {
                return;
            }

            _completed = true;
            (target, propagate) = (_target, _propagate);
        }

        _completing?.Invoke();
        _onCancel.Dispose();
        if (target is not null)
        {
            Propagate(target, propagate);
        }

        if (_fault is { } fault)
        {
            _completion.TrySetException(fault);
        }
        else if (_canceled)
        {
            _completion.TrySetCanceled(_cancellationToken);
        }
        else
        {
            _completion.TrySetResult();
        }
    }

    private void Propagate(ITargetBlock<TOutput> target, bool propagate)
    {
        if (!propagate)
        {
            return;
        }

        if (_fault is { } fault)
        {
            target.Fault(fault);
        }
        else
        {
            target.Complete();
        }
    }

    private void Unlink(ITargetBlock<TOutput> target)
    {
        lock (_lock)
        {
            if (_target == target)
            {
                (_target, _offered, _reservedBy) = (null, false, null);
            }
        }
    }

    private static Func<TInput, ValueTask<TOutput>> Wrap(Func<TInput, Task<TOutput>> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        return input => new ValueTask<TOutput>(work(input));
    }

    /// <summary>Waits for one running input's work without an async method of its own (its box was an allocation per
    /// input, per request at batch size 1): at most the parallelism of them exist, each reused, its continuation made
    /// once. The continuation runs on the thread that completes the work, as an await's would.</summary>
    private sealed class Runner
    {
        private readonly InlineOrderedBlock<TInput, TOutput> _block;
        private readonly Action _onCompleted;
        private ConfiguredValueTaskAwaitable<TOutput>.ConfiguredValueTaskAwaiter _awaiter;
        private long _sequence;

        public Runner(InlineOrderedBlock<TInput, TOutput> block)
        {
            _block = block;
            _onCompleted = OnCompleted;
        }

        public void Await(long sequence, ConfiguredValueTaskAwaitable<TOutput>.ConfiguredValueTaskAwaiter awaiter)
        {
            (_sequence, _awaiter) = (sequence, awaiter);
            awaiter.UnsafeOnCompleted(_onCompleted);
        }

        private void OnCompleted()
        {
            // Read before the runner is given back: another input may take it at once.
            var (sequence, awaiter) = (_sequence, _awaiter);
            _awaiter = default;
            _block.Completed(this, sequence, awaiter);
        }
    }

    /// <summary>A link, undone when disposed.</summary>
    private sealed class Link(InlineOrderedBlock<TInput, TOutput> source, ITargetBlock<TOutput> target) : IDisposable
    {
        public void Dispose() => source.Unlink(target);
    }
}
