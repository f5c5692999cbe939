using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Batch.Dataflow.Storage;
using Seldon.Batch.Dataflow.Transport;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>A file-to-file run: reads the input (a file or an S3 object, plain or gzip, or one shard of it), sends
/// every line through a <see cref="PredictionBlock"/> and writes one output line per input line, in input order, to a
/// side file (or multipart upload) that becomes the output only when the run completes. An interrupted or stopped run
/// leaves a valid prefix that <c>--resume</c> continues.</summary>
public static class BatchRun
{
    /// <summary>Requests that must all go unanswered before a run that never reached the model is stopped.</summary>
    private const int UnreachableAfter = 3;

    /// <summary>Validates <paramref name="options"/>, runs the batch and returns what happened.</summary>
    public static async Task<RunSummary> RunAsync(
        BatchOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default, IProgress<RunProgress>? progress = null)
    {
        options.Validate();
        using var client = PredictionClients.Create(options.Transport, options.ToEndpoint(), options.ToRetry());
        return await RunAsync(options, client, loggerFactory, cancellationToken, progress).ConfigureAwait(false);
    }

    /// <summary>Runs the batch through the given <paramref name="client"/> (not disposed here).</summary>
    /// <param name="options">The run's settings.</param>
    /// <param name="client">Where requests go.</param>
    /// <param name="loggerFactory">Where the run logs; nothing is logged when null.</param>
    /// <param name="cancellationToken">Asks for a graceful stop: reading stops, requests in flight get
    /// <see cref="BatchOptions.ShutdownTimeout"/> to finish, the prefix is kept and the summary says
    /// <see cref="RunOutcome.Interrupted"/> (no exception is thrown).</param>
    /// <param name="progress">Told about progress about once a second.</param>
    public static async Task<RunSummary> RunAsync(
        BatchOptions options,
        IPredictionClient client,
        ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default,
        IProgress<RunProgress>? progress = null)
    {
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger(typeof(BatchRun).FullName!);
        var clock = Stopwatch.StartNew();
        using var storage = await RunStorage.PrepareAsync(options, logger, cancellationToken).ConfigureAwait(false);
        var target = storage.Output;
        var sidePath = target.PartialName;

        var start = await StartingPointAsync(options, storage, logger, cancellationToken).ConfigureAwait(false);
        if (start is null)
        {
            return await FinishAsync(options, new RunSummary { OutputPath = target.Location.ToString() }, logger, storage).ConfigureAwait(false);
        }

        var batchId = start.BatchId ?? storage.Plan?.BatchId ?? (string.IsNullOrEmpty(options.BatchId) ? Guid.NewGuid().ToString() : options.BatchId);
        logger.LogInformation(
            "Processing {Input} to {Output}: {Transport} to {Host} ({Gateway}), {DataType}/{PayloadType}, {Method}, {Workers} worker(s), batch size {BatchSize}, batch id {BatchId}",
            options.InputDataPath, options.OutputDataPath, BatchOptions.Name(options.Transport), options.Host, BatchOptions.Name(options.Gateway),
            BatchOptions.Name(options.DataType), BatchOptions.Name(options.PayloadType), BatchOptions.Name(options.Method), options.Workers, options.BatchSize, batchId);

        var stats = new RunStatistics();
        var stop = new StopSwitch();
        using var stopReading = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var abort = new CancellationTokenSource();
        // A stop asked from outside lets requests in flight finish within the grace period, then drops them.
        using var graceful = cancellationToken.Register(() =>
        {
            logger.LogWarning("Stopping: no more lines are read; requests in flight have {Seconds} s to finish", options.ShutdownTimeout.TotalSeconds);
            abort.CancelAfter(options.ShutdownTimeout);
        });
        void StopNow(string reason)
        {
            if (stop.TrySet(reason))
            {
                logger.LogError("Stopping the run: {Reason}", reason);
                stopReading.Cancel();
                abort.Cancel();
            }
        }

        var block = PredictionBlock.Create(options with { BatchId = batchId }, client, stats, loggerFactory, abort.Token, storage.Range.FirstLine + start.Lines);
        await using var input = await storage.Input.OpenAsync(storage.Version, storage.Range.Start, storage.Range.End, cancellationToken).ConfigureAwait(false);
        var output = new StreamWriter(
            await target.OpenAsync(start, batchId, storage.Version.Tag, cancellationToken).ConfigureAwait(false),
            new UTF8Encoding(false),
            1 << 16);
        var failuresLogged = 0;
        var lastFlush = Environment.TickCount64;
        var writer = new ActionBlock<InstanceResult>(
            async result =>
            {
                // Synchronous writes into the 64 KiB buffer: two awaits per line cost about 3% at 100k lines/s.
                output.Write(result.Line);
                output.Write('\n');
                // At least once a second the prefix reaches the file, so a killed run loses little work.
                if (Environment.TickCount64 - lastFlush > 1000)
                {
                    lastFlush = Environment.TickCount64;
                    await output.FlushAsync().ConfigureAwait(false);
                }

                if (result.Succeeded)
                {
                    return;
                }

                if (failuresLogged++ < 10)
                {
                    logger.LogWarning("Line {Index} failed: {Reason}", result.Index, result.Failure);
                }

                if (stats.Answered == 0 && stats.Unanswered >= UnreachableAfter)
                {
                    StopNow(Unreachable(options, stats));
                }
                else if (options.MaxFailures.IsExceeded(stats.Failed, stats.Instances, final: false))
                {
                    StopNow($"{stats.Failed} of {stats.Instances} lines failed, more than --max-failures {options.MaxFailures}");
                }
            },
            new ExecutionDataflowBlockOptions { BoundedCapacity = 1024, MaxDegreeOfParallelism = 1 });
        block.LinkTo(writer, new DataflowLinkOptions { PropagateCompletion = true });
        // If the writer fails (disk full, say), nothing drains the network: stop reading instead of waiting forever.
        _ = writer.Completion.ContinueWith(_ => stopReading.Cancel(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        using var reporting = new CancellationTokenSource();
        var reporter = ReportProgressAsync(options, stats, input, clock, logger, progress, reporting.Token);

        ExceptionDispatchInfo? readFailure = null;
        try
        {
            long skipped = 0;
            await foreach (var line in LineReader.ReadLinesAsync(input.Decoded, null, storage.Range.Start == 0, stopReading.Token).ConfigureAwait(false))
            {
                if (skipped < start.Lines)
                {
                    skipped++;
                    continue;
                }

                if (!await block.SendAsync(line, stopReading.Token).ConfigureAwait(false))
                {
                    break;
                }
            }

            if (skipped < start.Lines)
            {
                StopNow($"the input has {skipped} lines but the partial output already has {start.Lines}: is it the same input file?");
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
        var summary = stats.ToSummary(clock.Elapsed, sidePath) with { ResumedLines = start.Lines };
        if (stop.Reason is null && !cancellationToken.IsCancellationRequested && stats.Requests > 0 && stats.Answered == 0)
        {
            stop.TrySet(Unreachable(options, stats));
        }

        if (stop.Reason is { } reason)
        {
            summary = summary with { Outcome = RunOutcome.Stopped, StopReason = reason };
            LogResumeHint(logger, options, summary);
        }
        else if (cancellationToken.IsCancellationRequested)
        {
            summary = summary with { Outcome = RunOutcome.Interrupted, StopReason = "interrupted" };
            LogResumeHint(logger, options, summary);
        }
        else
        {
            // Parts of a sharded run are published once: a second pod on the same index fails instead of replacing it.
            await target.PublishAsync(exclusive: storage.Plan is not null, CancellationToken.None).ConfigureAwait(false);
            summary = summary with { OutputPath = target.Location.ToString() };
            if (options.MaxFailures.IsExceeded(stats.Failed, stats.Instances, final: true))
            {
                summary = summary with
                {
                    Outcome = RunOutcome.Stopped,
                    StopReason = $"{stats.Failed} of {stats.Instances} lines failed, more than --max-failures {options.MaxFailures}",
                };
                logger.LogError("The run completed but {Reason}", summary.StopReason);
            }
        }

        return await FinishAsync(options, summary, logger, storage).ConfigureAwait(false);
    }

    /// <summary>Where this run starts: from scratch (an old partial output is dropped), or with <c>--resume</c> after the
    /// valid prefix of the partial output. Null when there is nothing left to do.</summary>
    private static async Task<WrittenPrefix?> StartingPointAsync(BatchOptions options, RunStorage storage, ILogger logger, CancellationToken ct)
    {
        var target = storage.Output;
        if (storage.Plan is not null && await target.ExistsAsync(ct).ConfigureAwait(false))
        {
            // A shard's part is published once: a restarted pod finds its work done, a second pod on the same index stops.
            if (!options.Resume)
            {
                throw new IOException($"{target.Location} was already published by another run of shard {options.ShardIndex}: use --resume to accept it, or delete it to run the shard again");
            }

            await target.DiscardPartialAsync(ct).ConfigureAwait(false);
            logger.LogInformation("Nothing to resume: the part {Part} is already published", target.Location);
            return null;
        }

        if (!options.Resume)
        {
            await target.DiscardPartialAsync(ct).ConfigureAwait(false);
            return WrittenPrefix.None;
        }

        if (!await target.HasPartialAsync(ct).ConfigureAwait(false))
        {
            if (await target.ExistsAsync(ct).ConfigureAwait(false))
            {
                logger.LogInformation("Nothing to resume: {Output} is complete (there is no partial output {Side})", target.Location, target.PartialName);
                return null;
            }

            logger.LogInformation("Nothing to resume at {Side}: starting from the first line", target.PartialName);
            return WrittenPrefix.None;
        }

        WrittenPrefix point;
        try
        {
            point = await target.ResumeAsync((side, token) => PartialOutput.InspectAsync(side, storage.Range.FirstLine, token), ct).ConfigureAwait(false);
        }
        catch (StorageException ex) when (ex.IsSettingsProblem)
        {
            throw new InvalidBatchOptionsException(ex.Message);
        }

        if (point.BatchId is not null && !string.IsNullOrEmpty(options.BatchId) && point.BatchId != options.BatchId)
        {
            throw new InvalidBatchOptionsException(
                $"--resume: the partial output {target.PartialName} belongs to batch '{point.BatchId}', not to --batch-id '{options.BatchId}'");
        }

        if (point.InputTag is not null && point.InputTag != storage.Version.Tag)
        {
            throw new InvalidBatchOptionsException(
                $"--resume: {storage.Input.Location} changed since the partial output {target.PartialName} was started (version {point.InputTag}, now {storage.Version.Tag}); run without --resume to start over");
        }

        if (point.Lines == 0)
        {
            logger.LogInformation("No complete line in {Side} to keep: starting from the first line", target.PartialName);
        }
        else
        {
            logger.LogInformation("Resuming batch {BatchId}: {Lines} lines already written, continuing from line {Lines}", point.BatchId, point.Lines, point.Lines);
        }

        return point;
    }

    private static string Unreachable(BatchOptions options, RunStatistics stats) =>
        $"the model at {options.Host} is unreachable: {stats.Unanswered} request(s) got no answer, the last: {stats.LastUnansweredReason}";

    private static void LogResumeHint(ILogger logger, BatchOptions options, RunSummary summary) => logger.LogWarning(
        "{Lines} lines are in {Side}; run again with the same settings and --resume to continue from line {Next}",
        summary.ResumedLines + summary.Instances, summary.OutputPath, summary.ResumedLines + summary.Instances);

    private static async Task<RunSummary> FinishAsync(BatchOptions options, RunSummary summary, ILogger logger, RunStorage storage)
    {
        logger.LogInformation("Done: {Summary}", summary);
        await storage.SaveShardSummaryAsync(options, summary, CancellationToken.None).ConfigureAwait(false);
        if (!string.IsNullOrWhiteSpace(options.SummaryPath))
        {
            await File.WriteAllTextAsync(options.SummaryPath, summary.ToJson() + "\n").ConfigureAwait(false);
        }

        return summary;
    }

    private static async Task ReportProgressAsync(
        BatchOptions options, RunStatistics stats, InputReading input, Stopwatch clock,
        ILogger logger, IProgress<RunProgress>? progress, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        var nextLog = options.ProgressInterval;
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var now = new RunProgress(stats.Instances, stats.Failed, input.Length > 0 ? Math.Min(1, (double)input.Consumed / input.Length) : 1, clock.Elapsed);
                progress?.Report(now);
                if (options.ProgressInterval > TimeSpan.Zero && now.Elapsed >= nextLog)
                {
                    nextLog = now.Elapsed + options.ProgressInterval;
                    logger.LogInformation(
                        "Progress: {Written} lines written ({Percent:0.0}% of the input read), {Failed} failed, {Retries} retries, {Rate:0.0} lines/s",
                        now.LinesWritten, now.Fraction * 100, now.Failed, stats.Retries, now.LinesPerSecond);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over.
        }
    }

    /// <summary>Remembers the first reason to stop.</summary>
    private sealed class StopSwitch
    {
        private string? _reason;

        public string? Reason => Volatile.Read(ref _reason);

        public bool TrySet(string reason) => Interlocked.CompareExchange(ref _reason, reason, null) is null;
    }
}
