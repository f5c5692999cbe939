using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The public face of a <see cref="PredictionBlock"/>: messages go to the first stage and come from the last,
/// as with <see cref="DataflowBlock.Encapsulate{TInput, TOutput}"/>, but the completion says how the predictions
/// ended. Dataflow turns a cancelled source into a normal completion of the blocks linked after it, and nests each
/// fault one <see cref="AggregateException"/> deeper per stage; here the completion waits until every result produced
/// was delivered, then faults with an <see cref="OperationCanceledException"/> when the block was cancelled, an
/// <see cref="EndpointFailureException"/> when the endpoint stopped it, or the original exceptions of a fault, and
/// links propagate that completion, not the last stage's.</summary>
internal sealed class PredictionPropagator<TInput, TOutput> : IPropagatorBlock<TInput, TOutput>, IReceivableSourceBlock<TOutput>
{
    private readonly ITargetBlock<TInput> _input;
    private readonly IReceivableSourceBlock<TOutput> _output;
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <param name="input">The first stage.</param>
    /// <param name="output">The last stage; it must not be cancellable, so that it delivers what it holds.</param>
    /// <param name="stopReason">Asked once the last stage completed normally: why the predictions stopped before the
    /// end of the input, or null when they did not.</param>
    public PredictionPropagator(ITargetBlock<TInput> input, IReceivableSourceBlock<TOutput> output, Func<Exception?> stopReason)
    {
        _input = input;
        _output = output;
        _ = output.Completion.ContinueWith(
            last =>
            {
                if (last.IsFaulted)
                {
                    var originals = last.Exception.Flatten().InnerExceptions;
                    _completion.SetException(originals.Count == 1 ? originals[0] : new AggregateException(originals));
                }
                else if (stopReason() is { } reason)
                {
                    _completion.SetException(reason);
                }
                else
                {
                    _completion.SetResult();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    public Task Completion => _completion.Task;

    public void Complete() => _input.Complete();

    public void Fault(Exception exception) => _input.Fault(exception);

    public DataflowMessageStatus OfferMessage(DataflowMessageHeader messageHeader, TInput messageValue, ISourceBlock<TInput>? source, bool consumeToAccept) =>
        _input.OfferMessage(messageHeader, messageValue, source, consumeToAccept);

    public IDisposable LinkTo(ITargetBlock<TOutput> target, DataflowLinkOptions linkOptions)
    {
        var link = _output.LinkTo(target, new DataflowLinkOptions
        {
            Append = linkOptions.Append,
            MaxMessages = linkOptions.MaxMessages,
            PropagateCompletion = false,
        });
        if (!linkOptions.PropagateCompletion)
        {
            return link;
        }

        var propagation = new CompletionPropagation(link);
        _ = Completion.ContinueWith(
            done =>
            {
                if (propagation.IsUnlinked)
                {
                    return;
                }

                if (done.IsFaulted)
                {
                    var error = done.Exception.InnerExceptions;
                    target.Fault(error.Count == 1 ? error[0] : done.Exception);
                }
                else
                {
                    target.Complete();
                }
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return propagation;
    }

    public TOutput? ConsumeMessage(DataflowMessageHeader messageHeader, ITargetBlock<TOutput> target, out bool messageConsumed) =>
        _output.ConsumeMessage(messageHeader, target, out messageConsumed);

    public bool ReserveMessage(DataflowMessageHeader messageHeader, ITargetBlock<TOutput> target) =>
        _output.ReserveMessage(messageHeader, target);

    public void ReleaseReservation(DataflowMessageHeader messageHeader, ITargetBlock<TOutput> target) =>
        _output.ReleaseReservation(messageHeader, target);

    public bool TryReceive(Predicate<TOutput>? filter, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TOutput item) =>
        _output.TryReceive(filter, out item);

    public bool TryReceiveAll([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out IList<TOutput>? items) =>
        _output.TryReceiveAll(out items);

    /// <summary>A link that, once disposed, no longer propagates completion (as Dataflow's own links do).</summary>
    private sealed class CompletionPropagation(IDisposable link) : IDisposable
    {
        private int _unlinked;

        public bool IsUnlinked => Volatile.Read(ref _unlinked) == 1;

        public void Dispose()
        {
            Interlocked.Exchange(ref _unlinked, 1);
            link.Dispose();
        }
    }
}
