using System.Diagnostics;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Batch.Dataflow.Transport;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>The batch processor as one Dataflow block, for applications that link it into their own network:
/// input lines in, one <see cref="InstanceResult"/> per line out, in input order. Completion and faults
/// propagate the Dataflow way; a failing instance becomes an error record, never a fault.</summary>
public static class PredictionBlock
{
    /// <summary>Builds the network batch → number → encode → predict → split and returns it as one block.</summary>
    /// <param name="options">The run's settings; validated here (files are not checked).</param>
    /// <param name="client">The client requests go through; shared by all workers, not disposed by the block.</param>
    /// <param name="statistics">Counters the block updates; pass one to watch progress.</param>
    /// <param name="loggerFactory">Where the block logs; nothing is logged when null.</param>
    /// <param name="cancellationToken">Cancels every stage: what is in flight is dropped, what was already
    /// produced stays in order (a valid prefix).</param>
    /// <param name="firstIndex">The <c>batch_index</c> of the first line received (a resumed run starts past 0).</param>
    public static IPropagatorBlock<string, InstanceResult> Create(
        BatchOptions options,
        IPredictionClient client,
        RunStatistics? statistics = null,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default,
        long firstIndex = 0)
    {
        var next = firstIndex;
        return Create<string>(options, client, statistics, loggerFactory, cancellationToken, texts =>
        {
            var lines = new InputLine[texts.Length];
            for (var i = 0; i < texts.Length; i++)
            {
                lines[i] = new InputLine(next++, texts[i]);
            }

            return lines;
        });
    }

    /// <summary>The same network for lines already numbered, in increasing order but not necessarily one after the
    /// other (<c>--retry-failed</c> sends only the failed lines): their numbers become <c>batch_index</c>.</summary>
    internal static IPropagatorBlock<InputLine, InstanceResult> CreateNumbered(
        BatchOptions options, IPredictionClient client, RunStatistics? statistics = null, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default) =>
        Create<InputLine>(options, client, statistics, loggerFactory, cancellationToken, null);

    /// <summary>Builds the network; <paramref name="numbering"/> numbers a group of lines, null when they come numbered.</summary>
    private static IPropagatorBlock<TLine, InstanceResult> Create<TLine>(
        BatchOptions options,
        IPredictionClient client,
        RunStatistics? statistics,
        ILoggerFactory? loggerFactory,
        CancellationToken cancellationToken,
        Func<TLine[], InputLine[]>? numbering)
    {
        options.Validate(checkFiles: false);
        var stats = statistics ?? new RunStatistics();
        var logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(PredictionBlock).FullName!);
        var batchId = string.IsNullOrEmpty(options.BatchId) ? Guid.NewGuid().ToString() : options.BatchId;
        var encoder = new MicroBatchEncoder(new EncoderSettings(options.DataType, options.PayloadType, options.Method, batchId, options.BatchSize));
        var composer = new OutputComposer(batchId);
        var cpu = Math.Max(1, Environment.ProcessorCount);
        var inFlight = options.Workers * 2;

        // Lines are grouped first and numbered a group at a time: one message per micro-batch through the numbering
        // block instead of one per line (at batch size 32, a line crossed one block less).
        var batch = new BatchBlock<TLine>(options.BatchSize, new GroupingDataflowBlockOptions
        {
            BoundedCapacity = options.BatchSize * 4,
            CancellationToken = cancellationToken,
        });

        var number = numbering is null ? null : new TransformBlock<TLine[], InputLine[]>(numbering, Sequential(4, cancellationToken));

        var encode = new TransformBlock<InputLine[], EncodedBatch>(
            lines =>
            {
                try
                {
                    return encoder.Encode(lines);
                }
                catch (Exception ex)
                {
                    // A defect in encoding must cost these lines, never fault the network and lose the rest.
                    logger.LogError(ex, "Encoding lines {First}..{Last} failed", lines[0].Index, lines[^1].Index);
                    return encoder.Unsendable(lines, $"the lines could not be encoded: {ex.GetType().Name}: {ex.Message}");
                }
            },
            Parallel(cpu, inFlight, cancellationToken));

        var predict = new TransformBlock<EncodedBatch, PredictedBatch>(
            async encoded =>
            {
                if (!encoded.HasRequest)
                {
                    return new PredictedBatch(encoded, null);
                }

                var request = new PredictionRequest(options.Method, encoded.RequestBody!, encoded.Puid);
                var started = Stopwatch.GetTimestamp();
                PredictionResponse response;
                try
                {
                    response = await client.SendAsync(request, cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // A client must not throw, but one that does costs this batch only, not the run.
                    response = PredictionResponse.Failed(0, $"the client failed: {ex.GetType().Name}: {ex.Message}", false);
                }

                stats.AddRequest(response, Stopwatch.GetElapsedTime(started));
                if (!response.IsSuccess)
                {
                    logger.LogDebug("Request {Puid} failed after {Attempts} attempt(s): {Reason}", encoded.Puid, response.Retries + 1, response.Failure);
                }

                return new PredictedBatch(encoded, response);
            },
            Parallel(options.Workers, inFlight, cancellationToken));

        var split = new TransformManyBlock<PredictedBatch, InstanceResult>(
            predicted =>
            {
                var r = predicted.Response;
                InstanceResult[] results;
                try
                {
                    results = composer.Compose(predicted.Batch, r?.Body, r?.Code ?? 0, r?.Failure);
                }
                catch (Exception ex)
                {
                    logger.LogError(ex, "Writing the answer of request {Puid} failed", predicted.Batch.Puid);
                    var reason = $"unusable answer: it could not be written: {ex.GetType().Name}: {ex.Message}";
                    results = predicted.Batch.Members.Select(m => composer.ErrorRecord(m, 502, reason)).ToArray();
                }

                foreach (var result in results)
                {
                    stats.AddResult(result);
                }

                return results;
            },
            Parallel(cpu, inFlight, cancellationToken));

        var link = new DataflowLinkOptions { PropagateCompletion = true };
        if (number is null)
        {
            ((ISourceBlock<InputLine[]>)(object)batch).LinkTo(encode, link);
        }
        else
        {
            batch.LinkTo(number, link);
            number.LinkTo(encode, link);
        }

        encode.LinkTo(predict, link);
        predict.LinkTo(split, link);
        return DataflowBlock.Encapsulate(batch, split);
    }

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

    private sealed record PredictedBatch(EncodedBatch Batch, PredictionResponse? Response);
}
