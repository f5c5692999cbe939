using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

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
        var next = firstIndex;
        return Linkable<string, InstanceResult>(options, client, statistics, loggerFactory, cancellationToken, texts =>
        {
            var lines = new InputLine[texts.Length];
            for (var i = 0; i < texts.Length; i++)
            {
                lines[i] = new InputLine(next++, texts[i]);
            }

            return lines;
        }, results => results);
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
        // Results come out in input order, one per line, so the items wait in a queue in that order; the network
        // itself carries only the lines.
        var items = new System.Collections.Concurrent.ConcurrentQueue<(long Index, TItem Item)>();
        var next = 0L;
        return Linkable<TItem, PredictionResult<TItem>>(options, client, statistics, loggerFactory, cancellationToken, group =>
        {
            var lines = new InputLine[group.Length];
            for (var i = 0; i < group.Length; i++)
            {
                lines[i] = new InputLine(next, line(group[i]));
                items.Enqueue((next++, group[i]));
            }

            return lines;
        }, results =>
        {
            var attach = new TransformBlock<InstanceResult, PredictionResult<TItem>>(
                result =>
                {
                    // The head of the queue is the result's item; an item skipped would mean a line without a result.
                    while (items.TryDequeue(out var waiting))
                    {
                        if (waiting.Index == result.Index)
                        {
                            return new PredictionResult<TItem>(waiting.Item, result);
                        }
                    }

                    throw new InvalidOperationException($"no item waits for the result of line {result.Index}");
                },
                Sequential(options.BatchSize * 4, CancellationToken.None));
            results.LinkTo(attach, new DataflowLinkOptions { PropagateCompletion = true });
            return attach;
        });
    }

    /// <summary>The split's results (a fresh array) with their lines made text, in place.</summary>
    private static InstanceResult[] AsText(InstanceResult[] results)
    {
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = results[i].AsText();
        }

        return results;
    }

    /// <summary>The same network for lines already numbered, in increasing order but not necessarily one after the other
    /// (<c>--retry-failed</c> sends only the failed lines): their numbers become <c>batch_index</c>. A BatchBlock groups
    /// them into requests for the sending stage; the file run keeps the output a prefix in its writer (an
    /// <see cref="AnsweredPrefix"/>), so a line crosses two Dataflow blocks between the reader and the writer. The run's
    /// <paramref name="stop"/> policy's dispatch token stops sending, and it is told about failures about the endpoint;
    /// the block completes normally then (the run reads <see cref="RunStatistics.EndpointFailure"/>), and a cancelled
    /// token drops what it holds. Results come out a request at a time, in input order: one Dataflow message per
    /// request rather than per line to the file's writer (at batch size 32 the per-line messages' locks and hand-overs
    /// were several per cent of the run's CPU).</summary>
    internal static IPropagatorBlock<InputLine, PredictedGroup> CreateNumbered(
        PredictionBlockOptions options, IPredictionClient client, RunStatistics stats, ILoggerFactory? loggerFactory, CancellationToken cancellationToken, StopPolicy stop, TimeProvider time)
    {
        var batch = Grouping<InputLine>(options, cancellationToken);
        var predict = Build(options, client, stats, loggerFactory, cancellationToken, stop, time, endpointFailed: null);
        batch.LinkTo(predict, new DataflowLinkOptions { PropagateCompletion = true });
        return DataflowBlock.Encapsulate(batch, predict);
    }

    /// <summary>The first stage: lines grouped into micro-batches of <see cref="PredictionBlockOptions.BatchSize"/>, the
    /// last one perhaps short, a few requests' worth waiting.</summary>
    private static BatchBlock<T> Grouping<T>(PredictionBlockOptions options, CancellationToken cancellationToken) =>
        new(options.BatchSize, new GroupingDataflowBlockOptions
        {
            BoundedCapacity = options.BatchSize * 4,
            CancellationToken = cancellationToken,
        });

    /// <summary>A block for applications: its own stop policy, its last stage not cancellable, and a completion that says
    /// why it stopped (<see cref="PredictionPropagator{TInput, TOutput}"/>). A failure about the endpoint completes the
    /// input at once, so senders learn of it (<c>SendAsync</c> returns false) instead of feeding lines that are dropped.</summary>
    private static PredictionPropagator<TItem, TOutput> Linkable<TItem, TOutput>(
        PredictionBlockOptions options,
        IPredictionClient client,
        RunStatistics? statistics,
        ILoggerFactory? loggerFactory,
        CancellationToken cancellationToken,
        Func<TItem[], InputLine[]> numbering,
        Func<IReceivableSourceBlock<InstanceResult>, IReceivableSourceBlock<TOutput>> output)
    {
        var stop = new StopPolicy(FailureLimit.None, host: null, cancellationToken);
        PredictionFailure? endpointFailure = null;
        // Lines are grouped first and numbered a group at a time: one message per micro-batch through the numbering
        // block instead of one per line (at batch size 32, a line crossed one block less).
        var batch = Grouping<TItem>(options, cancellationToken);
        var number = new TransformBlock<TItem[], InputLine[]>(numbering, Sequential(4, cancellationToken));
        var stats = statistics ?? new RunStatistics();
        var predict = Build(options, client, stats, loggerFactory, cancellationToken, stop, TimeProvider.System,
            endpointFailed: failure =>
            {
                Interlocked.CompareExchange(ref endpointFailure, failure, null);
                batch.Complete();
            });
        // Callers read Line, perhaps more than once: the lines are made text here, once (the file run writes the bytes).
        // This stage ignores the token, so that it delivers what it holds when the stages before it are cancelled.
        // In input order: the output ends before the first group that was not answered, so it stays a valid prefix.
        var prefix = new AnsweredPrefix(stats);
        var cut = new TransformManyBlock<PredictedGroup, InstanceResult[]>(
            group => prefix.Take(group) is { Length: > 0 } answered ? [answered] : [],
            Sequential(options.Workers * 2, cancellationToken));
        var results = new TransformManyBlock<InstanceResult[], InstanceResult>(
            AsText, Parallel(Math.Max(1, Environment.ProcessorCount), options.Workers * 2, CancellationToken.None));
        var link = new DataflowLinkOptions { PropagateCompletion = true };
        batch.LinkTo(number, link);
        number.LinkTo(predict, link);
        predict.LinkTo(cut, link);
        cut.LinkTo(results, link);
        var last = output(results);
        // A stage that faults (the caller's line function threw, say) faults the stages after it, not the first: fault
        // that one too, or a sender waiting for room in it would wait forever.
        _ = last.Completion.ContinueWith(
            failed => ((ITargetBlock<TItem>)batch).Fault(failed.Exception!.Flatten().InnerExceptions[0]),
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
        var block = new PredictionPropagator<TItem, TOutput>(batch, last, () =>
            Volatile.Read(ref endpointFailure) is { } failure ? new EndpointFailureException(failure)
            : cut.Completion.IsCanceled ? new OperationCanceledException(cancellationToken)
            : null);
        _ = block.Completion.ContinueWith(_ => stop.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return block;
    }

    /// <summary>Builds the network's sending stage: numbered groups of lines in (one request's worth each), encoded, sent
    /// and their answers split into results in parallel, out in input order; an <see cref="AnsweredPrefix"/> after it
    /// keeps the output a valid prefix. <paramref name="endpointFailed"/> is told the first failure about the endpoint.</summary>
    private static IPropagatorBlock<InputLine[], PredictedGroup> Build(
        PredictionBlockOptions options,
        IPredictionClient client,
        RunStatistics stats,
        ILoggerFactory? loggerFactory,
        CancellationToken cancellationToken,
        StopPolicy stop,
        TimeProvider time,
        Action<PredictionFailure>? endpointFailed)
    {
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger(typeof(PredictionBlock).FullName!);
        var batchId = string.IsNullOrEmpty(options.BatchId) ? Guid.NewGuid().ToString() : options.BatchId;
        var codec = BatchCodecs.For(options, batchId);
        var inFlight = options.Workers * 2;
        var window = Math.Max(8 * options.Workers, (WindowLines + options.BatchSize - 1) / options.BatchSize);
        var dispatcher = new RequestDispatcher(client, options.ToRetry(), loggerFactory.CreateLogger(typeof(RequestDispatcher).FullName!), time);

        IReadOnlyList<EncodedBatch> Encode(InputLine[] lines)
        {
            try
            {
                return codec.Encode(lines);
            }
            catch (Exception ex)
            {
                // A defect in encoding must cost these lines, never fault the network and lose the rest.
                logger.LogError(ex, "Encoding lines {First}..{Last} failed", lines[0].Index, lines[^1].Index);
                return [codec.Unsendable(lines, $"the lines could not be encoded: {ex.GetType().Name}: {ex.Message}")];
            }
        }

        // The answer of one request, or NotAnswered: stopped before it was sent, dropped on abort, or failed about the
        // endpoint (which stops the run).
        async Task<PredictionResponse> SendAsync(EncodedBatch encoded, bool retryTimeouts = true)
        {
            if (stop.Dispatch.IsCancellationRequested)
            {
                return NotAnswered;
            }

            var request = new PredictionRequest(options.Method, encoded.RequestBody!, encoded.Puid);
            PredictionResponse response;
            try
            {
                response = await dispatcher.SendAsync(request, encoded.Members[0].Index, stop.Dispatch, cancellationToken, retryTimeouts).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return NotAnswered;
            }
            catch (Exception ex)
            {
                // A client must not throw, but one that does costs this batch only, not the run.
                response = PredictionResponse.Failed(PredictionFailureKind.Line, 0, $"the client failed: {ex.GetType().Name}: {ex.Message}");
            }

            stats.AddRequest(response, response.Latency);
            if (response.Failure is { IsAboutEndpoint: true } endpoint)
            {
                stats.SetEndpointFailure(endpoint);
                stop.EndpointFailed(endpoint);
                endpointFailed?.Invoke(endpoint);
                return NotAnswered;
            }

            if (!response.IsSuccess)
            {
                logger.LogDebug("Request {Puid} failed after {Attempts} attempt(s): {Reason}", encoded.Puid, response.Retries + 1, response.Failure);
            }

            return response;
        }

        async Task<PredictedBatch> PredictAsync(EncodedWork work)
        {
            var encoded = work.Encoded;
            if (!encoded.HasRequest)
            {
                return new PredictedBatch([(encoded, null)]);
            }

            var response = await SendAsync(encoded).ConfigureAwait(false);
            if (ReferenceEquals(response, NotAnswered))
            {
                return PredictedBatch.NotAnswered;
            }

            var refused = response.Failure?.Kind == PredictionFailureKind.Line;
            var timedOut = response.Failure is { } failure && RequestDispatcher.IsTimeout(failure);
            if (!(refused || timedOut) || encoded.Members.Count(m => m.IsSent) < 2)
            {
                return new PredictedBatch([(encoded, response)]);
            }

            // The model refused the micro-batch, or never answered it in time: each line is sent alone, so only the lines
            // it refuses (or that are too slow alone) fail, each with its own reason. At most --batch-size requests, in
            // parallel, bounded by the workers like any other. A line of a timed-out micro-batch gets one attempt: its
            // retries were spent on the micro-batch, so a slow line costs one --timeout more, not --retries more.
            logger.LogDebug(
                "Request {Puid} {Outcome} ({Reason}): sending its {Count} lines one by one",
                encoded.Puid, refused ? "refused" : "timed out", response.Failure!.Detail, work.Lines.Length);
            var singles = work.Lines.SelectMany(line => Encode([line])).ToArray();
            var answers = await Task.WhenAll(singles.Select(s => s.HasRequest ? SendAsync(s, retryTimeouts: refused) : Task.FromResult<PredictionResponse>(null!))).ConfigureAwait(false);
            return answers.Any(a => ReferenceEquals(a, NotAnswered))
                ? PredictedBatch.NotAnswered
                : new PredictedBatch([.. singles.Select((s, i) => (s, (PredictionResponse?)answers[i]))]);
        }

        InstanceResult[] Compose(EncodedBatch encoded, PredictionResponse? r)
        {
            try
            {
                return codec.Compose(encoded, r?.Body, FailureOf(r, options.SettingName));
            }
            catch (Exception ex)
            {
                logger.LogError(ex, "Writing the answer of request {Puid} failed", encoded.Puid);
                var reason = $"unusable answer: it could not be written: {ex.GetType().Name}: {ex.Message}";
                return [.. encoded.Members.Select(m => codec.ErrorRecord(m, new RequestFailure(LineFailureKind.UnusableAnswer, 502, reason)))];
            }
        }

        // The results of the requests answered (one request, as nearly always: its results as they are, without copying).
        PredictedGroup Composed(PredictedBatch predicted) => new(
            predicted.Parts.Count switch
            {
                0 => [],
                1 => Compose(predicted.Parts[0].Batch, predicted.Parts[0].Response),
                _ => [.. predicted.Parts.SelectMany(p => Compose(p.Batch, p.Response))],
            },
            predicted.Answered);

        async Task<PredictedBatch> PredictGroupAsync(InputLine[] lines)
        {
            var batches = Encode(lines);
            if (batches.Count == 1)
            {
                return await PredictAsync(new EncodedWork(lines, batches[0])).ConfigureAwait(false);
            }

            var predicted = await Task.WhenAll(batches.Select(b => PredictAsync(new EncodedWork(LinesOf(b, lines), b)))).ConfigureAwait(false);
            var parts = new List<(EncodedBatch Batch, PredictionResponse? Response)>();
            foreach (var p in predicted)
            {
                if (!p.Answered)
                {
                    // The requests answered before it still belong to the output's prefix, as when each was a message.
                    return new PredictedBatch(parts) { Answered = false };
                }

                parts.AddRange(p.Parts);
            }

            return new PredictedBatch(parts);
        }

        // Each group is encoded, sent and its answer split into results in the one stage, in parallel: no Dataflow
        // hand-over between encoding and sending, nor between the answer and its results (at batch size 1, two per line).
        // A group may need more than one request (Open Inference sends a line that cannot be concatenated on its own):
        // they are sent together and their parts come out in line order, each request keeping the lines it carries, to
        // send them one by one if the model refuses it.
        var predict = new TransformBlock<InputLine[], PredictedGroup>(
            async lines => Composed(await PredictGroupAsync(lines).ConfigureAwait(false)),
            new ExecutionDataflowBlockOptions
            {
                // The dispatcher bounds the requests on the wire to --workers; as many again may wait for a retry or a
                // slot, so a few requests in backoff do not idle the workers. Answers that arrive before the lines ahead
                // of them wait in the block's ordered output, up to the window: a slow line does not stop the others.
                BoundedCapacity = window,
                MaxDegreeOfParallelism = inFlight,
                EnsureOrdered = true,
                SingleProducerConstrained = true,
                CancellationToken = cancellationToken,
            });

        _ = predict.Completion.ContinueWith(_ => dispatcher.Dispose(), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        return predict;
    }

    /// <summary>What the error records of a failed request's lines say: the kind of line failure the transport's failure
    /// is, and its detail worded with the front end's names for settings; null for an answer.</summary>
    internal static RequestFailure? FailureOf(PredictionResponse? response, Func<string, string>? settingName) =>
        response?.Failure is not { } failure ? null
        : new RequestFailure(
            failure.Kind == PredictionFailureKind.Line ? LineFailureKind.Refused
            : RequestDispatcher.IsTimeout(failure) ? LineFailureKind.TimedOut
            : LineFailureKind.RetriesExhausted,
            response.Code,
            settingName is null ? failure.Detail : failure.FormatDetail(settingName));

    /// <summary>The answer of a request that was not answered; compared by reference.</summary>
    private static readonly PredictionResponse NotAnswered =
        PredictionResponse.Unanswered(PredictionFailureKind.Outage, 0, "not answered");

    private static ExecutionDataflowBlockOptions Sequential(int capacity, CancellationToken ct) => new()
    {
        BoundedCapacity = capacity,
        MaxDegreeOfParallelism = 1,
        EnsureOrdered = true,
        CancellationToken = ct,
    };

    private static ExecutionDataflowBlockOptions Parallel(int parallelism, int capacity, CancellationToken ct) => new()
    {
        BoundedCapacity = Math.Max(capacity, parallelism),
        MaxDegreeOfParallelism = parallelism,
        EnsureOrdered = true,
        SingleProducerConstrained = true,
        CancellationToken = ct,
    };

    /// <summary>The lines of <paramref name="all"/> that <paramref name="batch"/> carries.</summary>
    private static InputLine[] LinesOf(EncodedBatch batch, InputLine[] all)
    {
        var first = batch.Members[0].Index;
        var last = batch.Members[^1].Index;
        return [.. all.Where(l => l.Index >= first && l.Index <= last)];
    }

    /// <summary>The lines of a micro-batch with their encoding (kept to send them one by one if the model refuses it).</summary>
    private sealed record EncodedWork(InputLine[] Lines, EncodedBatch Encoded);

    /// <summary>The requests of a micro-batch (one, or one per line after a refusal) with their answers, in line order.</summary>
    private sealed record PredictedBatch(IReadOnlyList<(EncodedBatch Batch, PredictionResponse? Response)> Parts)
    {
        public static readonly PredictedBatch NotAnswered = new([]) { Answered = false };

        /// <summary>False when a request was not answered; <see cref="Parts"/> then holds the group's requests before it.</summary>
        public bool Answered { get; init; } = true;
    }
}
