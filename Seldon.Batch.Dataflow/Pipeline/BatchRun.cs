using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Batch.Dataflow.Transport;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>A file-to-file run: reads the input (a file or an S3 object, plain or gzip, or one shard of it), sends
/// every line through a <see cref="PredictionBlock"/> and writes one output line per input line, in input order, to a
/// side file (or multipart upload) that becomes the output only when the run completes. An interrupted or stopped run
/// leaves a valid prefix that <c>--resume</c> continues.</summary>
public static class BatchRun
{
    /// <summary>Validates <paramref name="options"/>, runs the batch and returns what happened.</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="loggerFactory">Where the run logs; nothing is logged when null.</param>
    /// <param name="cancellationToken">Asks for a graceful stop (see the other overload).</param>
    /// <param name="progress">Told about progress about once a second.</param>
    /// <param name="stopNowToken">Ends the run at once (see the other overload).</param>
    public static async Task<RunSummary> RunAsync(
        BatchOptions options,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default,
        IProgress<RunProgress>? progress = null,
        CancellationToken stopNowToken = default)
    {
        options.Validate();
        // The bare transport: the block applies the options' retries, breaker and worker bound itself.
        using var client = PredictionClients.CreateTransport(options.Transport, options.ToEndpoint());
        return await RunAsync(options, client, loggerFactory, cancellationToken, progress, stopNowToken).ConfigureAwait(false);
    }

    /// <summary>Runs the batch through the given <paramref name="client"/> (not disposed here).</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="client">Where requests go.</param>
    /// <param name="loggerFactory">Where the run logs; nothing is logged when null.</param>
    /// <param name="cancellationToken">Asks for a graceful stop: reading stops, requests in flight get
    /// <see cref="BatchOptions.ShutdownTimeout"/> to finish, the prefix is kept and the summary says
    /// <see cref="RunOutcome.Interrupted"/> (no exception is thrown).</param>
    /// <param name="progress">Told about progress about once a second, and once more when the run ends.</param>
    /// <param name="stopNowToken">Ends the run at once (a second Ctrl-C): reading stops, requests in flight are
    /// abandoned, the lines already answered are written and flushed, and the summary says
    /// <see cref="RunOutcome.Interrupted"/>; the side file is a valid prefix <c>--resume</c> continues.</param>
    /// <exception cref="InvalidBatchOptionsException">A setting is invalid, or <see cref="BatchOptions.Resume"/> or
    /// <see cref="BatchOptions.RetryFailed"/> found an output that belongs to another input.</exception>
    public static async Task<RunSummary> RunAsync(
        BatchOptions options,
        IPredictionClient client,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default,
        IProgress<RunProgress>? progress = null,
        CancellationToken stopNowToken = default)
    {
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger(typeof(BatchRun).FullName!);
        var clock = Stopwatch.StartNew();
        // Storage says where the bytes come from and go to; the plan says which of them this run keeps and sends.
        RunStorage? prepared = null;
        ResumePlan plan;
        try
        {
            prepared = await RunStorage.PrepareAsync(options, logger, cancellationToken).ConfigureAwait(false);
            plan = await ResumePlan.PrepareAsync(options, prepared, logger, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while the storage or a large side file or output was being checked: nothing was changed or sent.
            prepared?.Dispose();
            return await FinishAsync(options, new RunSummary { Outcome = RunOutcome.Interrupted, StopReason = "interrupted" }, logger, null).ConfigureAwait(false);
        }
        catch
        {
            prepared?.Dispose();
            throw;
        }

        using var storage = prepared;

        if (plan.NothingToDo)
        {
            return await FinishAsync(options, new RunSummary { OutputPath = storage.Output.Location.ToString() }, logger, storage).ConfigureAwait(false);
        }

        // Open Inference: the model's readiness and metadata before the first line (an unknown model stops the run here).
        (options, var modelProblem) = await ModelCheck.PrepareAsync(options, client, logger, cancellationToken).ConfigureAwait(false);
        if (modelProblem is not null)
        {
            logger.LogError("Stopping the run: {Reason}", modelProblem);
            return await FinishAsync(options, new RunSummary { Outcome = RunOutcome.Stopped, StopReason = modelProblem }, logger, storage).ConfigureAwait(false);
        }

        var batchId = plan.BatchId ?? storage.Plan?.BatchId ?? (string.IsNullOrEmpty(options.BatchId) ? Guid.NewGuid().ToString() : options.BatchId);
        await plan.StartAsync(batchId, CancellationToken.None).ConfigureAwait(false);
        logger.LogInformation(
            "Processing {Input} to {Output}: {Protocol} over {Transport} to {Host} ({Gateway}), {DataType}/{PayloadType}, {Method}, {Workers} worker(s), batch size {BatchSize}, batch id {BatchId}",
            options.InputDataPath, options.OutputDataPath, BatchOptions.Name(options.Protocol), BatchOptions.Name(options.Transport), options.Host, BatchOptions.Name(options.Gateway),
            BatchOptions.Name(options.DataType), BatchOptions.Name(options.PayloadType), BatchOptions.Name(options.Method), options.Workers, options.BatchSize, batchId);

        var stats = new RunStatistics();
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var abort = new CancellationTokenSource();
        // A stop asked from outside lets requests in flight finish within the grace period, then drops them.
        using var graceful = cancellationToken.Register(() =>
        {
            logger.LogWarning("Stopping: no more lines are read; requests in flight have {Seconds} s to finish", options.ShutdownTimeout.TotalSeconds);
            abort.CancelAfter(options.ShutdownTimeout);
        });
        using var immediate = stopNowToken.Register(() =>
        {
            logger.LogWarning("Stopping at once: requests in flight are abandoned; the lines already answered are written");
            stopReading.Cancel();
            abort.Cancel();
        });
        // The policy's stops (endpoint failures, --max-failures) end the lines in flight too: none of them will be kept.
        using var stop = new StopPolicy(options, cancellationToken, reason =>
        {
            logger.LogError("Stopping the run: {Reason}", reason);
            stopReading.Cancel();
            abort.Cancel();
        });
        var block = PredictionBlock.CreateNumbered(options with { BatchId = batchId }, client, stats, loggerFactory, abort.Token, stop);
        var position = new LineReader.ReadPosition();
        // Opened whatever a stop asks meanwhile: the reading loop below hears of it at once.
        await using var input = await storage.Input.OpenAsync(storage.Version, storage.Range.Start, storage.Range.End, CancellationToken.None).ConfigureAwait(false);
        var output = new SideFileWriter(await plan.OpenOutputAsync(batchId, CancellationToken.None).ConfigureAwait(false), TimeProvider.System);
        var failuresLogged = 0;
        // The results of a request at a time, in input order; about 1024 lines waiting, as when they came one by one.
        var writer = new ActionBlock<InstanceResult[]>(
            results =>
            {
                foreach (var result in results)
                {
                    output.WriteLine(result.Line);
                    if (result.Succeeded)
                    {
                        continue;
                    }

                    if (failuresLogged++ < 10)
                    {
                        logger.LogWarning("Line {Index} failed: {Reason}", result.Index, result.Failure);
                    }

                    stop.LineWritten(result, stats);
                }
            },
            new ExecutionDataflowBlockOptions { BoundedCapacity = Math.Max(16, 1024 / options.BatchSize), MaxDegreeOfParallelism = 1 });
        block.LinkTo(writer, new DataflowLinkOptions { PropagateCompletion = true });
        // If the writer fails (disk full, say), nothing drains the network: stop reading instead of waiting forever.
        _ = writer.Completion.ContinueWith(_ => stopReading.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        using var reporting = new CancellationTokenSource();
        var reporter = new ProgressReporter(
            () => (plan.LinesWritten(output.Lines), plan.Failed(stats.Failed), plan.Fraction(output.Lines, position.Lines, input.Consumed, input.Length)),
            stats, options.ProgressInterval, logger, progress, TimeProvider.System).RunAsync(reporting.Token);

        ExceptionDispatchInfo? readFailure = null;
        try
        {
            await foreach (var line in plan.LinesToSendAsync(input.Decoded, position, stopReading.Token).ConfigureAwait(false))
            {
                if (!await block.SendAsync(line, stopReading.Token).ConfigureAwait(false))
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (stopReading.IsCancellationRequested)
        {
            // Stopped from outside, by the failure policy or by a failed writer: what was sent still drains.
        }
        catch (IOException ex)
        {
            // The input failed (or changed) mid-run: what was read still drains into the partial output, then the run fails.
            readFailure = ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            block.Complete();
        }

        try
        {
            await writer.Completion.ConfigureAwait(false);
        }
        finally
        {
            await output.DisposeAsync().ConfigureAwait(false);
            await reporting.CancelAsync().ConfigureAwait(false);
            await reporter.ConfigureAwait(false);
        }

        readFailure?.Throw();
        var summary = stats.ToSummary(clock.Elapsed, plan.UnfinishedPath);
        var interrupted = cancellationToken.IsCancellationRequested || stopNowToken.IsCancellationRequested;

        if (stop.Reason is { } reason)
        {
            summary = summary with { Outcome = RunOutcome.Stopped, StopReason = reason };
            plan.Abandon(logger, summary);
        }
        else if (interrupted)
        {
            summary = summary with { Outcome = RunOutcome.Interrupted, StopReason = "interrupted" };
            plan.Abandon(logger, summary);
        }
        else
        {
            await plan.CompleteAsync(batchId, output.Lines, CancellationToken.None).ConfigureAwait(false);
            summary = summary with { OutputPath = storage.Output.Location.ToString() };
            if (stop.FinalCheck(stats) is { } tooMany)
            {
                summary = summary with { Outcome = RunOutcome.Stopped, StopReason = tooMany };
                logger.LogError("The run completed but {Reason}", summary.StopReason);
            }
        }

        return await FinishAsync(options, plan.Account(summary), logger, storage).ConfigureAwait(false);
    }

    private static async Task<RunSummary> FinishAsync(BatchOptions options, RunSummary summary, ILogger logger, RunStorage? storage)
    {
        logger.LogInformation("Done: {Summary}", summary);
        if (storage is not null)
        {
            await storage.SaveShardSummaryAsync(options, summary, CancellationToken.None).ConfigureAwait(false);
        }

        if (!string.IsNullOrWhiteSpace(options.SummaryPath))
        {
            await File.WriteAllTextAsync(options.SummaryPath, summary.ToJson() + "\n").ConfigureAwait(false);
        }

        return summary;
    }
}
