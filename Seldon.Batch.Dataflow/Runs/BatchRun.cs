using System.Runtime.ExceptionServices;
using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Seldon.Batch.Dataflow;

/// <summary>A file-to-file run: reads the input (a file or an S3 object, plain or gzip, or one shard of it), sends
/// every line through a <see cref="PredictionBlock"/> and writes one output line per input line, in input order, to a
/// side file (or multipart upload) that becomes the output only when the run completes. An interrupted or stopped run
/// leaves a valid prefix that the next run of the same input and settings continues.</summary>
public static partial class BatchRun
{
    /// <summary>Validates <paramref name="options"/>, runs the batch and returns what happened. A run never throws
    /// for its endpoint or a stop: <see cref="RunSummary.Outcome"/> says how it ended. It logs through the block's
    /// <see cref="PredictionBlockOptions.LoggerFactory"/> and counts time on its <see cref="PredictionBlockOptions.TimeProvider"/>
    /// (the elapsed time, progress, the side file's flushes, the shutdown timeout).</summary>
    /// <param name="options">The run's settings. Their block's <see cref="PredictionBlockOptions.CancellationToken"/> ends
    /// the run at once (a second Ctrl-C): reading stops, requests in flight are abandoned, the lines already answered are
    /// written and flushed, and the summary says <see cref="RunOutcome.Interrupted"/>; the side file is a valid prefix the
    /// next run of the same input and settings continues.</param>
    /// <param name="progress">Told about progress about once a second, and once more when the run ends.</param>
    /// <param name="cancellationToken">Asks for a graceful stop: reading stops, requests in flight get
    /// <see cref="BatchOptions.ShutdownTimeout"/> to finish, the prefix is kept and the summary says
    /// <see cref="RunOutcome.Interrupted"/> (no exception is thrown).</param>
    /// <exception cref="InvalidBatchOptionsException">A setting is invalid, or the output in place belongs to another
    /// input or other settings: a partial output (which <see cref="BatchOptions.Restart"/> discards), or a complete output
    /// <see cref="BatchOptions.Resume"/> or <see cref="BatchOptions.RetryFailed"/> would keep. Nothing was changed.</exception>
    /// <exception cref="OutputInUseException">Another run is writing the same output (or shard's part); nothing
    /// was changed or sent.</exception>
    public static Task<RunSummary> RunAsync(BatchOptions options, IProgress<RunProgress>? progress = null, CancellationToken cancellationToken = default) =>
        RunAsync(options, StorageTuning.Default, progress, cancellationToken: cancellationToken);

    /// <summary>The public run on a store of other sizes (tests of a local store lower S3's).</summary>
    internal static async Task<RunSummary> RunAsync(
        BatchOptions options, StorageTuning tuning, IProgress<RunProgress>? progress = null, TableFiles? tables = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate(checkFiles: true, tuning.MinimumPartBytes);
        // The client sends each request once: the block applies the options' retries, breaker and worker bound to it.
        using var client = PredictionClients.CreateInspector(options.Endpoint);
        return await RunAsync(options, client, client, tuning, progress, tables, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs the batch through the given <paramref name="client"/> (not disposed here). <paramref name="inspector"/>
    /// (the run's own client) asks an Open Inference model's readiness and metadata before the first line; none is asked
    /// without it. The store has S3's sizes unless <paramref name="tuning"/> says otherwise. The other parameters are
    /// the public overload's; a table output's formats are read and written by <paramref name="tables"/> (by default
    /// <see cref="TableFiles.Default"/>).</summary>
    internal static async Task<RunSummary> RunAsync(
        BatchOptions options,
        IPredictionClient client,
        IModelInspector? inspector = null,
        StorageTuning? tuning = null,
        IProgress<RunProgress>? progress = null,
        TableFiles? tables = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        tuning ??= StorageTuning.Default;
        options.Validate(checkFiles: true, tuning.MinimumPartBytes);
        if (client.Protocol != options.Endpoint.Protocol)
        {
            throw InvalidBatchOptionsException.About(nameof(EndpointSettings.Protocol),
                $" is {BatchOptions.Name(options.Endpoint.Protocol)} but the client speaks {BatchOptions.Name(client.Protocol)}");
        }

        var logger = (options.Block.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(BatchRun).FullName!);
        var run = new UnfinishedRun(options.Block.TimeProvider) { Table = TableOutput.Of(options, tables ?? TableFiles.Default), Span = RunSpan.Start(options) };
        try
        {
            var summary = await RunToEndAsync(options, client, tuning, logger, progress, inspector, run, cancellationToken).ConfigureAwait(false);
            RunSpan.End(run.Span, summary);
            return summary;
        }
        catch (OutputClosedException)
        {
            // The reader of the standard output left (| head): not a failure, and nothing more can be written.
            return await OutputClosedAsync(options, run, logger).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageException.From(ex) is { } failure)
        {
            // The file system or the store failed (a full disk, a store that cannot be reached) or refused what the
            // settings ask of it (no permission, no credentials): not a defect, and said once, with what to do.
            var summary = await StoppedByStorageAsync(options, failure, run, logger).ConfigureAwait(false);
            RunSpan.End(run.Span, summary);
            return summary;
        }
        catch (Exception ex) when (run.Span is not null)
        {
            RunSpan.End(run.Span, ex);
            throw;
        }
        finally
        {
            await run.ReleaseAsync().ConfigureAwait(false);
        }
    }

    /// <summary>A run whose output is complete already: its table is written again only if older than its records.</summary>
    private static async Task<RunSummary> NothingToDoAsync(BatchOptions options, RunStorage storage, TableOutput? table, ILogger logger, CancellationToken cancellationToken)
    {
        var done = new RunSummary { OutputPath = storage.Output.Location.ToString() };
        var published = await PublishTableAsync(done, options, storage, table, null, onlyIfStale: true, logger, cancellationToken).ConfigureAwait(false);
        return await FinishAsync(options, published, logger, storage).ConfigureAwait(false);
    }

    /// <summary>The run itself; <paramref name="run"/> learns what it holds as it opens it, for
    /// <see cref="StoppedByStorageAsync"/> to clean up after a failure of storage.</summary>
    private static async Task<RunSummary> RunToEndAsync(
        BatchOptions options,
        IPredictionClient client,
        StorageTuning tuning,
        ILogger logger,
        IProgress<RunProgress>? progress,
        IModelInspector? inspector,
        UnfinishedRun run,
        CancellationToken cancellationToken)
    {
        // Storage says where the bytes come from and go to; the plan says which of them this run keeps and sends.
        if (await PrepareAsync(options, tuning, run.Table, logger, cancellationToken).ConfigureAwait(false) is not { } prepared)
        {
            // Stopped while the storage or a large side file or output was being checked: nothing was changed or sent.
            return await FinishAsync(options, new RunSummary { Outcome = RunOutcome.Interrupted, StopReason = "interrupted" }, logger, null).ConfigureAwait(false);
        }

        // Holds the output until the run is over: released (in RunAsync) after the output is published and the summary written.
        var storage = run.Storage = prepared.Storage;
        var plan = run.Plan = prepared.Plan;

        if (plan.NothingToDo)
        {
            return await NothingToDoAsync(options, storage, run.Table, logger, cancellationToken).ConfigureAwait(false);
        }

        // Open Inference: the model's readiness and metadata before the first line (an unknown model stops the run here).
        var (blockOptions, modelProblem) = await ModelCheck.PrepareAsync(
            options.Block, options.Endpoint, inspector, logger, cancellationToken, run.Table is { } table ? table.CheckModelOutputs : null).ConfigureAwait(false);
        if (modelProblem is not null)
        {
            modelProblem = options.Describe(modelProblem);
            logger.LogError("Stopping the run: {Reason}", modelProblem);
            return await FinishAsync(options, new RunSummary { Outcome = RunOutcome.Stopped, StopReason = modelProblem }, logger, storage).ConfigureAwait(false);
        }

        var batchId = await StartAsync(options, blockOptions, plan, storage, logger).ConfigureAwait(false);
        RunSpan.Started(run.Span, batchId);
        // Every message from here on names its batch, for a log store that indexes fields (the CLI's JSON logs).
        using var batchScope = logger.BeginScope(new KeyValuePair<string, object?>[] { new("batch_id", batchId) });
        var stats = run.Stats = blockOptions.Statistics ?? new RunStatistics();
        using var stops = new RunStops(options, logger, cancellationToken);
        var written = await PredictAllAsync(
            blockOptions with { BatchId = batchId, SettingName = options.NameOf, CancellationToken = stops.Abort, TimeProvider = run.Time },
            options, client, logger, progress, stops, run).ConfigureAwait(false);
        var summary = await ConcludeAsync(stats.ToSummary(run.Time.GetElapsedTime(run.Started), plan.UnfinishedPath), stops, plan, storage, batchId, written, stats, logger).ConfigureAwait(false);
        if (run.Table?.Clash is { } clash)
        {
            // Its records so far are kept: a run with other columns to keep continues them.
            throw clash;
        }

        if (plan.Completed)
        {
            summary = await PublishTableAsync(summary, options, storage, run.Table, run.Live, onlyIfStale: false, logger, cancellationToken, written).ConfigureAwait(false);
        }

        return await FinishAsync(options, plan.Account(summary), logger, storage).ConfigureAwait(false);
    }

    /// <summary>Starts the plan's batch (the one the partial output or the shard plan holds, the options' or a new one)
    /// and says what the run does; returns the batch id.</summary>
    private static async Task<string> StartAsync(BatchOptions options, PredictionBlockOptions blockOptions, ResumePlan plan, RunStorage storage, ILogger logger)
    {
        var endpoint = options.Endpoint;
        var batchId = plan.BatchId ?? storage.Plan?.BatchId ?? (string.IsNullOrEmpty(blockOptions.BatchId) ? Guid.NewGuid().ToString() : blockOptions.BatchId);
        await plan.StartAsync(batchId, CancellationToken.None).ConfigureAwait(false);
        logger.LogInformation(
            "Processing {Input} to {Output}: {Protocol} over {Transport} to {Host} ({Gateway}), {DataType}/{PayloadType}, {Method}, {Workers} worker(s), batch size {BatchSize}, batch id {BatchId}",
            options.InputDataPath, options.OutputDataPath, BatchOptions.Name(endpoint.Protocol), BatchOptions.Name(endpoint.Transport), endpoint.Host, BatchOptions.Name(endpoint.Gateway),
            BatchOptions.Name(blockOptions.DataType), BatchOptions.Name(blockOptions.PayloadType), BatchOptions.Name(blockOptions.Method), blockOptions.AdaptiveConcurrency is { } auto ? $"auto (1 to {auto.Maximum})" : blockOptions.Workers, blockOptions.BatchSize, batchId);
        return batchId;
    }

    /// <summary>The file run's network: read ─► batch ─► predict (<see cref="PredictionBlock.CreateNumbered"/>) ─► write
    /// (<see cref="WriteStage"/>). Sends the plan's lines through it until the input ends or a stop, with progress
    /// reported meanwhile, and returns the lines written once the writer drained. The input's failure (read error, input
    /// changed mid-run) is thrown then, once the lines read are written.</summary>
    private static async Task<long> PredictAllAsync(
        PredictionBlockOptions blockOptions,
        BatchOptions options,
        IPredictionClient client,
        ILogger logger,
        IProgress<RunProgress>? progress,
        RunStops stops,
        UnfinishedRun run)
    {
        var (storage, plan, stats, time, stop) = (run.Storage!, run.Plan!, run.Stats!, run.Time, stops.Policy);
        // An object output's lease taken over by another run: stop at once, and publish nothing.
        using var leaseLost = storage.Lock.Lost.Register(() => stop.Stop(storage.Lock.LostReason!));
        // A table's row is made into the model's whole message, which the block sends as a raw line.
        var rows = storage.Table is { } tableInput ? RowLines.Create(tableInput.ModelColumns, PredictionBlock.EncodingOfRows(options.Endpoint.Protocol, blockOptions, options.V2Inputs)) : null;
        var block = PredictionBlock.CreateNumbered(rows is null ? blockOptions : blockOptions with { DataType = DataType.Raw }, client, stats, stop);
        // Opened whatever a stop asks meanwhile: the reading loop below hears of it at once.
        await using var input = await RunInput.OpenAsync(storage, plan, rows, CancellationToken.None).ConfigureAwait(false);
        var output = run.Output = new SideFileWriter(await plan.OpenOutputAsync(blockOptions.BatchId, CancellationToken.None).ConfigureAwait(false), time, storage.Output.FlushesEachWrite);
        run.Live = StartLiveTable(run.Table, storage, plan, logger, input);
        var window = ReadWindow.For(blockOptions);
        var writer = WriteStage.Create(
            output, plan.FirstUnwritten, stop, stats, logger, run.Table is { } tableOutput ? tableOutput.InspectFirstPrediction : null, window,
            run.Live is { } live ? live.WriteAsync : null);
        block.LinkTo(writer, new DataflowLinkOptions { PropagateCompletion = true });
        // If the writer fails (disk full, say), nothing drains the network and nothing more can be kept: stop reading and
        // abandon the requests in flight instead of waiting for them.
        _ = writer.Completion.ContinueWith(_ => stops.WriterFailed(), CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        using var reporting = new CancellationTokenSource();
        var reporter = new ProgressReporter(
            () =>
            {
                // The lines written read once: the writer runs meanwhile, and the count and the share must agree.
                var written = output.Lines;
                return (plan.LinesWritten(written), plan.Failed(stats.Failed), plan.Fraction(written, input.ShareOf));
            },
            stats, options.ProgressInterval, logger, progress, time).RunAsync(reporting.Token);

        var readFailure = await SendAsync(plan.LinesToSendAsync(input.LinesFrom, stops.Reading), block, window, stops.Reading).ConfigureAwait(false);
        try
        {
            await writer.Completion.ConfigureAwait(false);
        }
        finally
        {
            await reporting.CancelAsync().ConfigureAwait(false);
            await reporter.ConfigureAwait(false);
            await output.DisposeAsync().ConfigureAwait(false);
        }

        readFailure?.Throw();
        return output.Lines;
    }

    /// <summary>The run's storage and plan, or null when a graceful stop came while they were being prepared. A table
    /// output's kept columns are checked against the input's before the plan keeps or discards anything.</summary>
    private static async Task<(RunStorage Storage, ResumePlan Plan)?> PrepareAsync(
        BatchOptions options, StorageTuning tuning, TableOutput? table, ILogger logger, CancellationToken cancellationToken)
    {
        RunStorage? storage = null;
        try
        {
            storage = await RunStorage.PrepareAsync(options, tuning, logger, cancellationToken).ConfigureAwait(false);
            if (table is not null)
            {
                await table.CheckInputAsync(storage.Input, storage.Version, cancellationToken).ConfigureAwait(false);
                if (storage.Plan is null)
                {
                    logger.LogInformation("The records of {Table} go to {Records}; the table is written from them once they are complete", table.Table, storage.Output.Location);
                }
                else
                {
                    logger.LogInformation("The records of {Table} go to the part {Part}; merge joins the parts and writes the table", table.Table, storage.Output.Location);
                }
            }

            return (storage, await ResumePlan.PrepareAsync(options, storage, logger, cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await DisposeAsync(storage).ConfigureAwait(false);
            return null;
        }
        catch
        {
            await DisposeAsync(storage).ConfigureAwait(false);
            throw;
        }

        static async Task DisposeAsync(RunStorage? storage)
        {
            if (storage is not null)
            {
                await storage.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>Sends the lines into the block until they end or <paramref name="reading"/> stops them, then completes
    /// it, so that what was sent drains (the block's BatchBlock passes on its last, perhaps short, group). Returns the
    /// input's failure (read error, input changed mid-run), which fails the run once the lines read are written.</summary>
    private static async Task<ExceptionDispatchInfo?> SendAsync(
        IAsyncEnumerable<InputLine> lines, ITargetBlock<InputLine> block, ReadWindow window, CancellationToken reading)
    {
        try
        {
            await foreach (var line in lines.ConfigureAwait(false))
            {
                // Within the window the batch stage has room, and takes the line at once; SendAsync is for the rare
                // line it turns away (its groups not yet passed on), and says when the network stopped taking lines.
                await window.WaitForRoomAsync(reading).ConfigureAwait(false);
                if (!block.Post(line) && !await block.SendAsync(line, reading).ConfigureAwait(false))
                {
                    break;
                }

                window.Sent();
            }
        }
        catch (OperationCanceledException) when (reading.IsCancellationRequested)
        {
            // Stopped from outside, by the failure policy or by a failed writer: what was sent still drains.
        }
        catch (IOException ex)
        {
            return ExceptionDispatchInfo.Capture(ex);
        }
        finally
        {
            block.Complete();
        }

        return null;
    }

    /// <summary>How the run ended: stopped by the policy or interrupted (the partial output stays for
    /// the next run), or completed (the output is published, and <c>--max-failures</c> judged once more).</summary>
    private static async Task<RunSummary> ConcludeAsync(
        RunSummary summary, RunStops stops, ResumePlan plan, RunStorage storage, string batchId, long written, RunStatistics stats, ILogger logger)
    {
        // A lease is renewed before the output is published: one another run took over leaves this run's lines unpublished.
        if (stops.Policy.Reason is null && !stops.Interrupted && await storage.Lock.ConfirmAsync(CancellationToken.None).ConfigureAwait(false) is { } lost)
        {
            stops.Policy.Stop(lost);
        }

        if (stops.Policy.Reason is { } reason)
        {
            summary = summary with { Outcome = RunOutcome.Stopped, StopReason = reason };
            return await AbandonAsync(plan, summary, "correct what stopped it (above), then run it again", logger).ConfigureAwait(false);
        }

        if (stops.Interrupted)
        {
            summary = summary with { Outcome = RunOutcome.Interrupted, StopReason = "interrupted" };
            return await AbandonAsync(plan, summary, "run it again to start from the first line", logger).ConfigureAwait(false);
        }

        await plan.CompleteAsync(batchId, written, CancellationToken.None).ConfigureAwait(false);
        summary = summary with { OutputPath = storage.Output.Location.ToString() };
        if (stops.Policy.FinalCheck(stats.Failed, stats.Instances) is { } tooMany)
        {
            summary = summary with { Outcome = RunOutcome.Stopped, StopReason = tooMany };
            logger.LogError("The run completed but {Reason}", summary.StopReason);
        }

        return summary;
    }

    /// <summary>Says what an unfinished run leaves and how to go on. A run that leaves nothing (no line kept, none
    /// written) removes its empty partial output instead, and says <paramref name="nothingWritten"/>: there is nothing to
    /// resume, and the summary names no output.</summary>
    private static async Task<RunSummary> AbandonAsync(ResumePlan plan, RunSummary summary, string nothingWritten, ILogger logger)
    {
        if (await plan.DiscardIfEmptyAsync(CancellationToken.None).ConfigureAwait(false))
        {
            logger.LogWarning("Nothing was written, so no partial output is left: {What}", nothingWritten);
            return summary with { OutputPath = null };
        }

        plan.Abandon(logger, summary);
        return summary;
    }

    /// <summary>The end of a run whose file system or object store failed. A settings problem (no permission, no
    /// credentials, a read-only file system) is thrown as <see cref="InvalidBatchOptionsException"/> naming the setting
    /// of the path when it is the input's or the output's; any other failure (a full disk, a store that cannot be reached)
    /// stops the run, which keeps its partial output for <c>--resume</c>. Either way an empty partial output is removed
    /// and the cause is said once.</summary>
    private static async Task<RunSummary> StoppedByStorageAsync(BatchOptions options, StorageException failure, UnfinishedRun run, ILogger logger)
    {
        var reason = options.Describe(failure.Message);
        var empty = false;
        if (run.Plan is { } plan)
        {
            try
            {
                empty = await plan.DiscardIfEmptyAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (StorageException.From(ex) is not null)
            {
                // The store is still failing: the empty upload (or side file) stays; a new run replaces it.
                logger.LogDebug(ex, "The empty partial output could not be removed");
            }
        }

        if (failure.IsSettingsProblem)
        {
            throw PropertyOf(options, failure.Message) is { } property
                ? InvalidBatchOptionsException.About([property], name => $"{name(property)}: {reason}")
                : new InvalidBatchOptionsException(reason);
        }

        logger.LogError("Stopping the run: {Reason}", reason);
        var summary = (run.Stats?.ToSummary(run.Time.GetElapsedTime(run.Started), run.Plan?.UnfinishedPath) ?? new RunSummary())
            with
        { Outcome = RunOutcome.Stopped, StopReason = reason, OutputPath = run.Plan?.UnfinishedPath };
        if (run.Plan is { } unfinished)
        {
            if (empty)
            {
                logger.LogWarning("Nothing was written, so no partial output is left: once the cause is fixed, run it again");
                summary = summary with { OutputPath = null };
            }
            else if (unfinished.IsRetry || unfinished.FromStream)
            {
                unfinished.Abandon(logger, summary);
            }
            else
            {
                logger.LogWarning(
                    "The lines written before the failure are kept in {Side}: once the cause is fixed, run again with the same settings to continue after them",
                    run.Storage!.Output.PartialName);
            }

            summary = unfinished.Account(summary);
        }

        return await FinishAsync(options, summary, logger, run.Storage).ConfigureAwait(false);
    }

    /// <summary>The property of the path a storage message is about: the output's (its side file, records and parts
    /// are named after it) or the input's; null for neither.</summary>
    private static string? PropertyOf(BatchOptions options, string message)
    {
        static bool Names(string message, string path) =>
            path.Length > 0 && (message.Contains(path, StringComparison.Ordinal)
                || (!path.StartsWith("s3://", StringComparison.Ordinal) && message.Contains(Path.GetFullPath(path), StringComparison.Ordinal)));

        return Names(message, options.OutputDataPath) ? nameof(BatchOptions.OutputDataPath)
            : Names(message, options.InputDataPath) ? nameof(BatchOptions.InputDataPath)
            : null;
    }

    private static async Task<RunSummary> FinishAsync(BatchOptions options, RunSummary summary, ILogger logger, RunStorage? storage)
    {
        logger.LogInformation("Done: {Summary}", summary);
        // The summaries tell of the run; failing to write one (a disk that filled up, a store gone) does not change how
        // it ended, and is said once.
        try
        {
            if (storage is not null)
            {
                await storage.SaveShardSummaryAsync(options, summary, CancellationToken.None).ConfigureAwait(false);
            }

            if (!string.IsNullOrWhiteSpace(options.SummaryPath))
            {
                await File.WriteAllTextAsync(options.SummaryPath, summary.ToJson() + "\n").ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (StorageException.From(ex) is { } failure)
        {
            logger.LogError("The summary could not be written: {Reason}", options.Describe(failure.Message));
        }

        return summary;
    }

    /// <summary>What a run holds while it runs, so that a failure of its storage can clean up after it.</summary>
    private sealed class UnfinishedRun(TimeProvider time)
    {
        public TimeProvider Time { get; } = time;

        public long Started { get; } = time.GetTimestamp();

        public RunStorage? Storage { get; set; }

        public ResumePlan? Plan { get; set; }

        public RunStatistics? Stats { get; set; }

        public SideFileWriter? Output { get; set; }

        /// <summary>The table output; null for a JSON-lines output.</summary>
        public TableOutput? Table { get; init; }

        /// <summary>The table output written as the run goes; null when it is written after the run, or is none.</summary>
        public LiveTable? Live { get; set; }

        /// <summary>The run's span; null when nothing listens.</summary>
        public System.Diagnostics.Activity? Span { get; init; }

        /// <summary>Once the run is over, however it ended: a table written as it went and not put in place leaves
        /// nothing, the output is released (held until now, cleanup after a failure of storage included), the span ends.</summary>
        public async Task ReleaseAsync()
        {
            if (Live is { } live)
            {
                await live.DisposeAsync().ConfigureAwait(false);
            }

            if (Storage is { } storage)
            {
                await storage.DisposeAsync().ConfigureAwait(false);
            }

            RunSpan.EndIfOpen(Span);
        }
    }
}
