using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

// The end of a run whose output is a table: the table written from the complete records.
public static partial class BatchRun
{
    /// <summary>Writes the table of a table output from its complete records (after the run completed them, or when a
    /// run with nothing to do finds the table missing or older than them: <paramref name="onlyIfStale"/>), and makes it
    /// the summary's output. A failure of storage leaves the records complete and no table (or the one before): the
    /// summary says <see cref="RunOutcome.Stopped"/>, and a run with <see cref="BatchOptions.Resume"/> writes the table
    /// without sending anything. Nothing to do for a JSON-lines output, or a shard's part (merge writes the table). A table
    /// written as the run went (<paramref name="live"/>, <see cref="StartLiveTable"/>) is put in place instead, unless it
    /// was abandoned or does not hold the <paramref name="written"/> records the run wrote.</summary>
    private static async Task<RunSummary> PublishTableAsync(
        RunSummary summary, BatchOptions options, RunStorage storage, TableOutput? table, LiveTable? live, bool onlyIfStale, ILogger logger, CancellationToken cancellationToken, long written = 0)
    {
        if (table is null || storage.Plan is not null)
        {
            return summary;
        }

        if (onlyIfStale && !await table.IsStaleAsync(storage.Store, cancellationToken).ConfigureAwait(false))
        {
            logger.LogInformation("The table {Table} is there, written from its complete records {Records}", table.Table, table.Records);
            return summary with { OutputPath = table.Table.ToString() };
        }

        var resume = $"run again with {options.NameOf(nameof(BatchOptions.Resume))} to write the table without sending anything";
        try
        {
            if (live is not null && await live.CompleteAsync(written, cancellationToken).ConfigureAwait(false) is { } done)
            {
                logger.LogInformation("Wrote the table {Table} as the run went: {Rows} rows", table.Table, done);
                return summary with { OutputPath = table.Table.ToString() };
            }

            logger.LogInformation("Writing the table {Table} from its complete records {Records}", table.Table, table.Records);
            var rows = await table.PublishAsync(storage.Store, storage.Input, storage.Version, storage.Lock, cancellationToken).ConfigureAwait(false);
            logger.LogInformation("Wrote the table {Table}: {Rows} rows", table.Table, rows);
            return summary with { OutputPath = table.Table.ToString() };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            logger.LogWarning("Stopped before the table {Table} was written; its records {Records} are complete: {Resume}", table.Table, table.Records, resume);
            return summary with { Outcome = RunOutcome.Interrupted, StopReason = "interrupted", OutputPath = table.Records.ToString() };
        }
        catch (Exception ex) when (StorageException.From(ex) is { } failure)
        {
            var reason = $"the table {table.Table} could not be written: {options.Describe(failure.Message)}; its records {table.Records} are complete: once the cause is fixed, {resume}";
            if (failure.IsSettingsProblem)
            {
                throw InvalidBatchOptionsException.About([nameof(BatchOptions.OutputDataPath)], name => $"{name(nameof(BatchOptions.OutputDataPath))}: {reason}");
            }

            logger.LogError("Stopping the run: {Reason}", reason);
            return summary with
            {
                Outcome = RunOutcome.Stopped,
                StopReason = summary.StopReason is { } earlier ? $"{earlier}; {reason}" : reason,
                OutputPath = table.Records.ToString(),
            };
        }
    }

    /// <summary>Starts writing the table as the run goes (<see cref="LiveTable"/>) when this run writes every record of it
    /// itself: a table output of a whole input, neither resumed after lines kept, nor a retry of failed lines, nor read from
    /// a stream. Null otherwise: the table is then written from the records after the run. A table input hands the table
    /// its kept values as <paramref name="input"/> reads them (before it is read), so it is read once.</summary>
    private static LiveTable? StartLiveTable(TableOutput? table, RunStorage storage, ResumePlan plan, ILogger logger, RunInput input)
    {
        if (table is null || storage.Plan is not null || plan.IsRetry || plan.ResumedLines > 0 || plan.FromStream)
        {
            return null;
        }

        KeptValues? handed = null;
        if (storage.Table is { } tableInput)
        {
            var kept = KeptColumns.Resolve(tableInput.Columns, table.Settings.KeepColumns, storage.Input.Location.ToString());
            // A kept column no reader reads (a Parquet struct or map) fails the table where it failed before, when the
            // table is written, rather than the run's reading.
            if (!kept.Any(c => tableInput.Columns[c].ValueType == typeof(object)))
            {
                handed = new KeptValues(kept);
                input.HandTo(handed);
            }
        }

        return LiveTable.Start(table.PublicationOf(storage.Store, storage.Input, storage.Version, storage.Lock), handed, logger);
    }
}
