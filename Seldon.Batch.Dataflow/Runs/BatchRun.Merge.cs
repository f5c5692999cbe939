
namespace Seldon.Batch.Dataflow;

// The end of a sharded run: its parts joined into the output.
public static partial class BatchRun
{
    /// <summary>Joins the parts that <see cref="BatchOptions.ShardCount"/> runs wrote next to their output into the
    /// output (<c>seldon-batch-processor merge</c>): checks that every part is complete and holds exactly its planned
    /// lines, joins them in order and returns the shards' summaries added up (latencies: the worst shard's). A failure of
    /// the store (a full disk, a store that cannot be reached) is not thrown: the summary says
    /// <see cref="RunOutcome.Stopped"/> and why, the output did not appear, and merging again once it is fixed is safe.</summary>
    /// <param name="options">Which output and how many shards.</param>
    /// <param name="cancellationToken">Cancels the merge; the output then does not appear.</param>
    /// <exception cref="InvalidBatchOptionsException">The merge cannot be done as asked: a malformed URL, no shard plan
    /// (or several, with no <see cref="MergeOptions.ShardCount"/> to choose), no bucket, a part missing or not holding
    /// its planned lines (its shard must run, or run again).</exception>
    /// <exception cref="OutputInUseException">Another run or merge is writing the output; nothing was changed.</exception>
    public static Task<RunSummary> MergeAsync(MergeOptions options, CancellationToken cancellationToken = default) =>
        MergeAsync(options, StorageTuning.Default, cancellationToken: cancellationToken);

    /// <summary>The public merge on a store of other sizes (tests of a local store lower S3's), a table output written by
    /// <paramref name="tables"/> (by default <see cref="TableFiles.Default"/>).</summary>
    internal static async Task<RunSummary> MergeAsync(MergeOptions options, StorageTuning tuning, TableFiles? tables = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        try
        {
            return await ShardMerge.MergeAsync(options, tuning, tables, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (StorageException.From(ex) is { } failure)
        {
            var reason = SettingNames.Format(failure.Message, options.SettingName ?? (static property => property));
            return new RunSummary { Outcome = RunOutcome.Stopped, StopReason = reason };
        }
    }
}
