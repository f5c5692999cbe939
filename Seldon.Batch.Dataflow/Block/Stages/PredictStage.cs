using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Seldon.Batch.Dataflow;

/// <summary>The predict stage, shared by both networks: numbered groups of lines in (one request's worth each), each
/// encoded, sent (and isolated line by line after a refusal or a timeout) and its answer split into results, groups in
/// parallel, out in input order within a bounded window. The four steps are method calls inside one TransformBlock: no
/// Dataflow hand-over between encoding and sending, nor between the answer and its results (at batch size 1, two per
/// line). A group may need more than one request (Open Inference sends a line that cannot be concatenated on its own):
/// they are sent together and their parts come out in line order, each request keeping the lines it carries, to send
/// them one by one if the model refuses it.</summary>
internal sealed class PredictStage
{
    private readonly EncodeStage _encode;
    private readonly SendStage _send;
    private readonly IsolateStage _isolate;
    private readonly SplitStage _split;

    private PredictStage(EncodeStage encode, SendStage send, IsolateStage isolate, SplitStage split)
    {
        _encode = encode;
        _send = send;
        _isolate = isolate;
        _split = split;
    }

    /// <summary>The stage: encode → send → isolate → split, per group. <paramref name="stop"/> stops sending and is told
    /// the first failure about the endpoint, which <paramref name="stats"/> reads from it.</summary>
    public static TransformBlock<InputLine[], PredictedGroup> Create(
        PredictionBlockOptions options,
        IPredictionClient client,
        RunStatistics stats,
        StopPolicy stop)
    {
        var (stage, dispatcher) = Build(options, client, stats, stop);
        var predict = new TransformBlock<InputLine[], PredictedGroup>(
            lines => stage.PredictAsync(lines).AsTask(),
            new ExecutionDataflowBlockOptions
            {
                // The dispatcher bounds the requests on the wire to Workers; as many again may wait for a retry or a
                // slot, so a few requests in backoff do not idle the workers. Answers that arrive before the lines ahead
                // of them wait in the block's ordered output, up to the window: a slow line does not stop the others.
                BoundedCapacity = Window(options),
                MaxDegreeOfParallelism = Parallelism(options),
                EnsureOrdered = true,
                SingleProducerConstrained = true,
                CancellationToken = options.CancellationToken,
            });
        // At once, before the stages after it hear of the completion: a finished block's breaker is no longer a gauge's.
        _ = predict.Completion.ContinueWith(_ => dispatcher.Dispose(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return predict;
    }

    /// <summary>The same stage for the file run, without a thread-pool hand-over per group (<see cref="InlineOrderedBlock{TInput, TOutput}"/>):
    /// a group's request starts on the thread that offers it or on the work item an answer queues when it frees a place,
    /// which also hands the results ready from the head of the order to the one target (the writer). <see cref="Window"/> held,
    /// like <see cref="Create"/>, but only as many groups running as the dispatcher can put to work
    /// (<see cref="RequestDispatcher.Concurrency"/>, at most <see cref="Parallelism"/>): the gate's slots, and one more
    /// for each request in backoff. So at steady state no request waits at the gate for a slot, and a request waiting for
    /// its retry does not idle a worker.</summary>
    public static InlineOrderedBlock<InputLine[], PredictedGroup> CreateInline(
        PredictionBlockOptions options,
        IPredictionClient client,
        RunStatistics stats,
        StopPolicy stop) => BuildInline(options, client, stats, stop).Block;

    /// <summary><see cref="CreateInline"/>'s block with its dispatcher (for tests).</summary>
    internal static (InlineOrderedBlock<InputLine[], PredictedGroup> Block, RequestDispatcher Dispatcher) BuildInline(
        PredictionBlockOptions options,
        IPredictionClient client,
        RunStatistics stats,
        StopPolicy stop)
    {
        var (stage, dispatcher) = Build(options, client, stats, stop);
        var most = Parallelism(options);
        // The dispatcher is disposed before the writer hears of the completion, as for Create.
        var block = new InlineOrderedBlock<InputLine[], PredictedGroup>(
            stage.PredictAsync, most, Window(options), options.CancellationToken, dispatcher.Dispose, () => dispatcher.Concurrency);
        dispatcher.ConcurrencyChanged = block.ParallelismChanged;
        return (block, dispatcher);
    }

    private static (PredictStage Stage, RequestDispatcher Dispatcher) Build(
        PredictionBlockOptions options,
        IPredictionClient client,
        RunStatistics stats,
        StopPolicy stop)
    {
        var (cancellationToken, time) = (options.CancellationToken, options.TimeProvider);
        var loggerFactory = options.LoggerFactory ?? NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger(typeof(PredictionBlock).FullName!);
        var batchId = string.IsNullOrEmpty(options.BatchId) ? Guid.NewGuid().ToString() : options.BatchId;
        var codec = BatchCodecs.For(options, client.Protocol, batchId);
        var dispatcher = new RequestDispatcher(client, options.ToRetry(), loggerFactory.CreateLogger(typeof(RequestDispatcher).FullName!), time) { BatchId = batchId };
        stats.ReadEndpointFailureFrom(stop);

        var encode = new EncodeStage(codec, logger);
        var send = new SendStage(dispatcher, options.Method, stop, stats, new RequestMeter(client), logger, cancellationToken);
        return (new PredictStage(encode, send, new IsolateStage(encode, send, logger), new SplitStage(codec, options.SettingName, logger)), dispatcher);
    }

    /// <summary>The most groups running at once: the dispatcher bounds the requests on the wire to the workers; as many
    /// again may wait for a retry or a slot, so a few requests in backoff do not idle the workers. The applications'
    /// TransformBlock runs this many always (its parallelism is fixed once it is made); the file run's block only while
    /// requests are in backoff (<see cref="CreateInline"/>).</summary>
    public static int Parallelism(PredictionBlockOptions options) => options.MaxWorkers * 2;

    /// <summary>The groups the stage holds at most: to be sent, on the wire, waiting for a retry, or answered and waiting
    /// for the groups before them (<see cref="PredictionBlockOptions.WindowLines"/>, at least 8 requests per worker).</summary>
    public static int Window(PredictionBlockOptions options) =>
        Math.Max(8 * options.MaxWorkers, (options.WindowLines + options.BatchSize - 1) / options.BatchSize);

    /// <summary>A group's results, with whether all of its requests were answered. One request per group, as nearly
    /// always, is sent and split here, in one state machine.</summary>
    // At batch size 1 this runs once per request: its state machine is pooled (as SendStage's is) rather than a new box
    // per request; every caller awaits it once (the file run's block directly, the applications' block through AsTask).
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<PredictedGroup> PredictAsync(InputLine[] lines)
    {
        if (RunInstruments.LinesRead.Enabled)
        {
            RunInstruments.LinesRead.Add(lines.Length);
        }

        var batches = _encode.Encode(lines);
        if (batches.Count != 1)
        {
            return _split.Split(await SendAllAsync(lines, batches).ConfigureAwait(false), lines.Length);
        }

        var encoded = batches[0];
        if (!encoded.HasRequest)
        {
            return _split.Split(encoded, null, lines.Length);
        }

        if (await _send.SendAsync(encoded).ConfigureAwait(false) is not { } response)
        {
            return _split.Split(PredictedBatch.NotAnswered, lines.Length);
        }

        return IsolateStage.Applies(encoded, response.Failure)
            ? _split.Split(await _isolate.SendLineByLineAsync(lines, encoded, response.Failure!).ConfigureAwait(false), lines.Length)
            : _split.Split(encoded, response, lines.Length);
    }

    /// <summary>The requests of a group that needed more than one (or none), sent together.</summary>
    private async Task<PredictedBatch> SendAllAsync(InputLine[] lines, IReadOnlyList<EncodedBatch> batches) =>
        PredictedBatch.Concat(await Task.WhenAll(batches.Select(b => SendAsync(LinesOf(b, lines), b))).ConfigureAwait(false));

    /// <summary>One request of a group, sent, and its lines sent one by one when the model refused it or it timed out.</summary>
    private async Task<PredictedBatch> SendAsync(InputLine[] lines, EncodedBatch encoded)
    {
        if (!encoded.HasRequest)
        {
            return new PredictedBatch([(encoded, null)]);
        }

        if (await _send.SendAsync(encoded).ConfigureAwait(false) is not { } response)
        {
            return PredictedBatch.NotAnswered;
        }

        return IsolateStage.Applies(encoded, response.Failure)
            ? await _isolate.SendLineByLineAsync(lines, encoded, response.Failure!).ConfigureAwait(false)
            : new PredictedBatch([(encoded, response)]);
    }

    /// <summary>The lines of <paramref name="all"/> that <paramref name="batch"/> carries.</summary>
    private static InputLine[] LinesOf(EncodedBatch batch, InputLine[] all)
    {
        var first = batch.Members[0].Index;
        var last = batch.Members[^1].Index;
        return [.. all.Where(l => l.Index >= first && l.Index <= last)];
    }
}
