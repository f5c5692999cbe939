using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

// The end of a run whose standard output (-o -) was closed by its reader.
public static partial class BatchRun
{
    /// <summary>The reader of the standard output closed it (a broken pipe: <c>| head -1</c> had what it wanted): the run
    /// stops sending, says once how far it got, and ends with <see cref="RunOutcome.OutputClosed"/>. Nothing is left to
    /// continue (a stream keeps nothing).</summary>
    private static async Task<RunSummary> OutputClosedAsync(BatchOptions options, UnfinishedRun run, ILogger logger)
    {
        var written = run.Output?.Lines ?? 0;
        var reason = $"the standard output was closed by its reader (a broken pipe) after {written} lines; the lines after them were not written";
        logger.LogWarning("Stopping the run: {Reason}", reason);
        var summary = (run.Stats?.ToSummary(run.Time.GetElapsedTime(run.Started), null) ?? new RunSummary())
            with
        { Outcome = RunOutcome.OutputClosed, StopReason = reason, OutputPath = null };
        return await FinishAsync(options, summary, logger, run.Storage).ConfigureAwait(false);
    }
}
