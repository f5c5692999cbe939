using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;

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
    /// <summary>Lines the ordered window of the predict stage holds (requests waiting to be sent, on the wire, waiting
    /// for a retry, or answered and waiting for the lines before them), unless 8 × --workers requests hold more: enough
    /// that a few retried lines do not stop the others (5 % of 503s keep over 0.7 of the throughput at batch size 1 and
    /// 32), small enough for memory (a larger window grew the client's resident memory with no gain without faults).</summary>
    internal const int WindowLines = 1024;

    /// <summary>Builds the network batch → number → predict (encode, send, split the answer) → cut → text and returns it
    /// as one block of lines in, <see cref="InstanceResult"/>s out.</summary>
    /// <param name="options">The block's settings; validated here.</param>
    /// <param name="client">The client requests go through, which says where the model is; shared by all workers, not
    /// disposed by the block. The block applies the options' retries, outage breaker, pacing and worker bound to it.</param>
    /// <param name="statistics">Counters the block updates; pass one to watch progress.</param>
    /// <param name="loggerFactory">Where the block logs; nothing is logged when null.</param>
    /// <param name="cancellationToken">Cancels every stage: what is in flight is dropped, what was already
    /// produced is still delivered in order (a valid prefix), then the completion faults with an
    /// <see cref="OperationCanceledException"/>.</param>
    /// <param name="firstIndex">The <c>batch_index</c> of the first line received (a resumed run starts past 0). The lines are
    /// grouped from the first one received: to send the micro-batches a run from line 0 sends (for a model whose answer
    /// depends on what shares its request), start at a multiple of the batch size.</param>
    /// <exception cref="InvalidBatchOptionsException">A setting of <paramref name="options"/> is invalid.</exception>
    public static IPropagatorBlock<string, InstanceResult> Create(
        PredictionBlockOptions options,
        IPredictionClient client,
        RunStatistics? statistics = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default,
        long firstIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(client);
        options.Validate();
        return Linkable<string, InstanceResult>(options, client, statistics, loggerFactory, cancellationToken, NumberStage.From(firstIndex), results => results);
    }

    /// <summary>The same block for the caller's own items: each item's line is sent, and the item comes out with its
    /// result, in input order, so whatever the caller needs afterwards (a key, a reply address) travels with it.</summary>
    /// <typeparam name="TItem">The caller's type.</typeparam>
    /// <param name="options">The block's settings; validated here.</param>
    /// <param name="client">The client requests go through; shared by all workers, not disposed by the block.</param>
    /// <param name="line">The JSON line of an item, as an input file would hold it; called once per item, in order. If
    /// it throws, the block faults with that exception.</param>
    /// <param name="statistics">Counters the block updates; pass one to watch progress.</param>
    /// <param name="loggerFactory">Where the block logs; nothing is logged when null.</param>
    /// <param name="cancellationToken">Cancels every stage, as for <see cref="Create(PredictionBlockOptions, IPredictionClient,
    /// RunStatistics?, ILoggerFactory?, CancellationToken, long)"/>.</param>
    /// <exception cref="InvalidBatchOptionsException">A setting of <paramref name="options"/> is invalid.</exception>
    public static IPropagatorBlock<TItem, PredictionResult<TItem>> Create<TItem>(
        PredictionBlockOptions options,
        IPredictionClient client,
        Func<TItem, string> line,
        RunStatistics? statistics = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(line);
        options.Validate();
        var items = new ItemStage<TItem>(line);
        return Linkable<TItem, PredictionResult<TItem>>(options, client, statistics, loggerFactory, cancellationToken, items.Number, results => items.Attach(results, options.BatchSize));
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
        PredictionBlockOptions options, IPredictionClient client, RunStatistics stats, ILoggerFactory? loggerFactory, CancellationToken cancellationToken, StopPolicy stop, TimeProvider time)
    {
        // file run: read ─► batch ─► predict ─► write (the run's)
        var batch = GroupStage.Create<InputLine>(options, cancellationToken);
        var predict = PredictStage.Create(options, client, stats, loggerFactory, cancellationToken, stop, time);
        batch.LinkTo(predict, StageOptions.Propagate);
        return DataflowBlock.Encapsulate(batch, predict);
    }

    /// <summary>The network for applications, with its own stop policy, its last stages not cancellable, and a
    /// completion that says why it stopped (<see cref="PredictionPropagator{TInput, TOutput}"/>): the policy's record of
    /// a failure about the endpoint, or the cancellation the cut stage saw. That failure also completes the input at
    /// once, so senders learn of it (<c>SendAsync</c> returns false) instead of feeding lines that are dropped. A line
    /// crosses five Dataflow blocks (batch, number, predict, cut, text; six with the items' attach stage).</summary>
    private static PredictionPropagator<TItem, TOutput> Linkable<TItem, TOutput>(
        PredictionBlockOptions options,
        IPredictionClient client,
        RunStatistics? statistics,
        ILoggerFactory? loggerFactory,
        CancellationToken cancellationToken,
        Func<TItem[], InputLine[]> numbering,
        Func<IReceivableSourceBlock<InstanceResult>, IReceivableSourceBlock<TOutput>> output)
    {
        var stats = statistics ?? new RunStatistics();
        // applications: lines ─► batch ─► number ─► predict ─► cut ─► text ─► results
        var batch = GroupStage.Create<TItem>(options, cancellationToken);
        var stop = new StopPolicy(FailureLimit.None, host: null, cancellationToken, onStop: _ => batch.Complete());
        var number = NumberStage.Create(numbering, cancellationToken);
        var predict = PredictStage.Create(options, client, stats, loggerFactory, cancellationToken, stop, TimeProvider.System);
        var cut = CutStage.Create(stats, options.Workers, cancellationToken);
        var text = TextStage.Create(options.Workers);
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
