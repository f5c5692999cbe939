using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The batch processor as one Dataflow block, for applications that link it into their own network:
/// input lines (or the caller's own items) in, one result per line out, in input order. Completion and faults
/// propagate the Dataflow way; a line the model refuses becomes an error record, never a fault. The block's
/// <see cref="IDataflowBlock.Completion"/> tells how it ended, once every result produced was delivered: it completes
/// when every line has its result, and faults with an <see cref="OperationCanceledException"/> when its token was
/// cancelled, with an <see cref="EndpointFailureException"/> when a failure about the endpoint (a wrong route or token,
/// an outage past <see cref="PredictionBlockOptions.MaxOutage"/>) stopped sending, or with the original exception of a fault.
/// Either way the output is a valid prefix: it ends before the first line that was not answered.</summary>
public static partial class PredictionBlock
{
    /// <summary>Builds the network batch → number → predict (encode, send, split the answer) → cut → text and returns it
    /// as one block of lines in, <see cref="InstanceResult"/>s out.</summary>
    /// <param name="client">The client requests go through, which says where the model is and what it speaks; shared by
    /// all workers, not disposed by the block. The block applies the options' retries, outage breaker, pacing and worker
    /// bound to it.</param>
    /// <param name="options">The block's settings, validated here against the client's protocol; their
    /// <see cref="PredictionBlockOptions.CancellationToken"/> cancels every stage (what is in flight is dropped, what was
    /// already produced is still delivered in order, then the completion faults with an
    /// <see cref="OperationCanceledException"/>), and the first line received gets
    /// <see cref="PredictionBlockOptions.FirstIndex"/>.</param>
    /// <exception cref="InvalidBatchOptionsException">A setting of <paramref name="options"/> is invalid, or belongs to
    /// another protocol than the client's.</exception>
    public static IPropagatorBlock<string, InstanceResult> Create(IPredictionClient client, PredictionBlockOptions options)
    {
        Check(client, options);
        return Linkable<string, InstanceResult>(client, options, NumberStage.From(options.FirstIndex), results => results);
    }

    /// <summary>The same block for the caller's own items: each item's line is sent, and the item comes out with its
    /// result, in input order, so whatever the caller needs afterwards (a key, a reply address) travels with it.</summary>
    /// <typeparam name="TItem">The caller's type.</typeparam>
    /// <param name="client">The client requests go through; shared by all workers, not disposed by the block.</param>
    /// <param name="options">The block's settings, as for <see cref="Create(IPredictionClient, PredictionBlockOptions)"/>.</param>
    /// <param name="line">The JSON line of an item, as an input file would hold it; called once per item, in order. If
    /// it throws, the block faults with that exception.</param>
    /// <exception cref="InvalidBatchOptionsException">A setting of <paramref name="options"/> is invalid, or belongs to
    /// another protocol than the client's.</exception>
    public static IPropagatorBlock<TItem, PredictionResult<TItem>> Create<TItem>(
        IPredictionClient client,
        PredictionBlockOptions options,
        Func<TItem, string> line)
    {
        Check(client, options);
        ArgumentNullException.ThrowIfNull(line);
        var items = new ItemStage<TItem>(line, options.FirstIndex);
        return Linkable<TItem, PredictionResult<TItem>>(client, options, items.Number, results => items.Attach(results, options.BatchSize));
    }

    /// <summary>Checks the arguments of a block, its options once against the client's protocol.</summary>
    private static void Check(IPredictionClient client, PredictionBlockOptions options)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(client.Protocol);
    }

    /// <summary>The file run's network, for lines already numbered, in increasing order but not necessarily one after
    /// the other (<c>--retry-failed</c> sends only the failed lines): their numbers become <c>batch_index</c>. The file run
    /// links its own write stage after it, which keeps the output a prefix, so a line crosses three Dataflow
    /// blocks from the reader to the file: batch, predict, write. The run's <paramref name="stop"/> policy stops sending
    /// and records the first failure about the endpoint (the run's summary reads it there); the block completes
    /// normally then, and a cancelled token drops what it holds. Results come out a request at a time, in input order:
    /// one Dataflow message per request rather than per line to the file's writer (at batch size 32 the per-line
    /// messages' locks and hand-overs were several per cent of the run's CPU).</summary>
    internal static IPropagatorBlock<InputLine, PredictedGroup> CreateNumbered(
        PredictionBlockOptions options, IPredictionClient client, RunStatistics stats, StopPolicy stop)
    {
        // file run: read ─► batch ─► predict ─► write (the run's). The reader keeps at most LinesInFlight lines out
        // (ReadWindow), which the batch stage can hold all of: it never postpones a line then, nor the predict stage a group.
        var batch = GroupStage.Create<InputLine>(options, options.CancellationToken, LinesInFlight(options) + options.BatchSize);
        // The predict stage hands a group to the thread pool only when an answer frees a place: a request starts on the
        // thread that offers its group or on the work item the answer queues, which also takes the results to the writer.
        var predict = PredictStage.CreateInline(options, client, stats, stop);
        batch.LinkTo(predict, StageOptions.Propagate);
        return DataflowBlock.Encapsulate(batch, predict);
    }

    /// <summary>The lines a file run's reader may have out in <see cref="CreateNumbered"/>'s network (read, and not yet
    /// taken by the writer): one group fewer than the predict stage holds, so that it never turns a group away.</summary>
    internal static int LinesInFlight(PredictionBlockOptions options) => (PredictStage.Window(options) - 1) * options.BatchSize;

    /// <summary>The network for applications, with its own stop policy, its last stages not cancellable, and a
    /// completion that says why it stopped (<see cref="PredictionPropagator{TInput, TOutput}"/>): the policy's record of
    /// a failure about the endpoint, or the cancellation the cut stage saw. That failure also completes the input at
    /// once, so senders learn of it (<c>SendAsync</c> returns false) instead of feeding lines that are dropped. A line
    /// crosses five Dataflow blocks (batch, number, predict, cut, text; six with the items' attach stage).</summary>
    private static PredictionPropagator<TItem, TOutput> Linkable<TItem, TOutput>(
        IPredictionClient client,
        PredictionBlockOptions options,
        Func<TItem[], InputLine[]> numbering,
        Func<IReceivableSourceBlock<InstanceResult>, IReceivableSourceBlock<TOutput>> output)
    {
        var cancellationToken = options.CancellationToken;
        var stats = options.Statistics ?? new RunStatistics();
        // applications: lines ─► batch ─► number ─► predict ─► cut ─► text ─► results
        var batch = GroupStage.Create<TItem>(options, cancellationToken);
        var stop = new StopPolicy(FailureLimit.None, host: null, cancellationToken, onStop: _ => batch.Complete());
        var number = NumberStage.Create(numbering, cancellationToken);
        var predict = PredictStage.Create(options, client, stats, stop);
        var cut = CutStage.Create(stats, options.MaxWorkers, cancellationToken);
        var text = TextStage.Create(options.MaxWorkers);
        batch.LinkTo(number, StageOptions.Propagate);
        number.LinkTo(predict, StageOptions.Propagate);
        predict.LinkTo(cut, StageOptions.Propagate);
        cut.LinkTo(text, StageOptions.Propagate);
        var last = output(text);

        // A stage that faults (the caller's line function threw, say) faults the stages after it, not the first: fault
        // that one too, or a sender waiting for room in it would wait forever.
        _ = last.Completion.ContinueWith(
            failed => ((ITargetBlock<TItem>)batch).Fault(failed.Exception!.Flatten().InnerExceptions[0]),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
        var block = new PredictionPropagator<TItem, TOutput>(batch, last, () =>
            stop.EndpointFailure is { } failure ? new EndpointFailureException(failure)
            : cut.Completion.IsCanceled ? new OperationCanceledException(cancellationToken)
            : null);
        _ = block.Completion.ContinueWith(_ => stop.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return block;
    }
}
