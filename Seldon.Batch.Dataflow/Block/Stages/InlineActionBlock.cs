using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>A Dataflow target that runs its action on the thread that offers a message, one message at a time in the
/// order offered, instead of on a task of its own as an <see cref="ActionBlock{TInput}"/> does when it was idle (a
/// thread-pool work item and often a thread woken per message at batch size 1). A message offered while another runs
/// waits in a queue, which the running thread drains; an action whose task does not complete at once is awaited, and the
/// queue drained after it, on the thread that completes it.</summary>
/// <remarks>The queue is not bounded: the block is for a source that holds its own bound (the file run's reader keeps
/// its window of lines until the writer took them). A fault of the action, or <see cref="Fault"/>, drops the messages
/// waiting and faults <see cref="Completion"/> once the running one finished; <see cref="Complete"/> completes it once
/// the queue is drained.</remarks>
/// <typeparam name="T">The messages.</typeparam>
internal sealed class InlineActionBlock<T> : ITargetBlock<T>
{
    private readonly Func<T, ValueTask> _action;
    private readonly Lock _lock = new();
    private readonly Queue<T> _queue = new();
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _running;
    private bool _completing;
    private Exception? _fault;
    private bool _completed;

    /// <param name="action">Run on each message, one at a time, in order.</param>
    public InlineActionBlock(Func<T, ValueTask> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        _action = action;
    }

    /// <inheritdoc/>
    public Task Completion => _completion.Task;

    /// <inheritdoc/>
    public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, T messageValue, ISourceBlock<T>? source, bool consumeToAccept)
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
            if (_completing || _fault is not null)
            {
                return DataflowMessageStatus.DecliningPermanently;
            }
        }

        if (consumeToAccept)
        {
            messageValue = source!.ConsumeMessage(messageHeader, this, out var consumed)!;
            if (!consumed)
            {
                return DataflowMessageStatus.NotAvailable;
            }
        }

        lock (_lock)
        {
            if (_running)
            {
                _queue.Enqueue(messageValue);
                return DataflowMessageStatus.Accepted;
            }

            _running = true;
        }

        Run(messageValue);
        return DataflowMessageStatus.Accepted;
    }

    /// <inheritdoc/>
    public void Complete()
    {
        lock (_lock)
        {
            _completing = true;
        }

        TryComplete();
    }

    /// <inheritdoc/>
    public void Fault(Exception exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        Fail(exception, running: false);
    }

    /// <summary>Runs the message and then those queued meanwhile, while their actions complete at once.</summary>
    private void Run(T message)
    {
        while (true)
        {
            ValueTask pending;
            try
            {
                pending = _action(message);
            }
            catch (Exception ex)
            {
                Fail(ex, running: true);
                return;
            }

            if (!pending.IsCompletedSuccessfully)
            {
                _ = ContinueAsync(pending);
                return;
            }

            if (!TryTakeNext(out message))
            {
                TryComplete();
                return;
            }
        }
    }

    private async Task ContinueAsync(ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            Fail(ex, running: true);
            return;
        }

        if (TryTakeNext(out var next))
        {
            Run(next);
        }
        else
        {
            TryComplete();
        }
    }

    /// <summary>The next queued message, or false (and not running any more) when there is none.</summary>
    private bool TryTakeNext(out T next)
    {
        lock (_lock)
        {
            if (_fault is null && _queue.TryDequeue(out next!))
            {
                return true;
            }

            _running = false;
            next = default!;
            return false;
        }
    }

    /// <summary>Faults the block: <paramref name="running"/> when the action that failed was this thread's.</summary>
    private void Fail(Exception exception, bool running)
    {
        lock (_lock)
        {
            _fault ??= exception;
            _queue.Clear();
            _running &= !running;
        }

        TryComplete();
    }

    private void TryComplete()
    {
        lock (_lock)
        {
            if (_completed || _running || !(_completing || _fault is not null))
            {
                return;
            }

            _completed = true;
        }

        if (_fault is { } fault)
        {
            _completion.TrySetException(fault);
        }
        else
        {
            _completion.TrySetResult();
        }
    }
}
