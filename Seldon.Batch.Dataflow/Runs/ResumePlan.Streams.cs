using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

// A run that reads the standard input or writes the standard output (-i -, -o -): a stream is read or written once, so
// the run always starts from the first line, keeps nothing of an earlier run and records nothing it could not keep.
// The options refuse what would need more (BatchOptions.Streams.cs): resume, retry, shards, a table built afterwards.
internal sealed partial class ResumePlan
{
    /// <summary>Whether the input is the standard input (<c>-i -</c>): read once, never again to skip or retry lines.</summary>
    public bool FromStream => _storage.Input.Location.IsStream;

    /// <summary>Whether the output is the standard output (<c>-o -</c>): nothing is kept next to it (no partial output,
    /// no record, nothing to publish).</summary>
    private bool ToStream => Output.IsStream;

    /// <summary>The plan of a run from or to a stream: a fresh run. A file output made from the standard input is written
    /// as ever (its side file, then renamed), but a partial output in its place cannot be continued, since the stream
    /// cannot be read again to skip its lines: it is refused unless <see cref="BatchOptions.Restart"/> discards it.</summary>
    private static async Task<ResumePlan> PrepareStreamAsync(BatchOptions options, RunStorage storage, ILogger logger, CancellationToken ct)
    {
        var target = storage.Output;
        if (target.Location.IsStream)
        {
            return new ResumePlan(options, storage, InputFingerprint.OfStream(), Mode.Fresh);
        }

        if (await target.HasPartialAsync(ct).ConfigureAwait(false))
        {
            if (!options.Restart)
            {
                throw Refuse(null, [nameof(options.InputDataPath), nameof(options.Restart)], name =>
                    $"{target.PartialName} holds a partial output an interrupted run left, and a stream cannot be resumed: " +
                    $"{name(nameof(options.InputDataPath))} - is read once, so its lines cannot be skipped to continue after it; " +
                    $"pass {name(nameof(options.Restart))} to discard it, or give the input as a file");
            }

            await DiscardAsync(storage, "starting from the first line, as asked", logger, ct).ConfigureAwait(false);
        }

        await SmallObjects.DeleteAsync(storage.Store, RunRecord.PartialPathOf(target.Location), ct).ConfigureAwait(false);
        if (await target.ExistsAsync(ct).ConfigureAwait(false))
        {
            logger.LogInformation("{Output} exists: this run replaces it once it completes", target.Location);
        }

        return new ResumePlan(options, storage, InputFingerprint.OfStream(), Mode.Fresh);
    }

    /// <summary>Says what an unfinished run from or to a stream leaves: nothing to continue.</summary>
    private void AbandonStream(ILogger logger, RunSummary summary)
    {
        if (ToStream)
        {
            logger.LogWarning(
                "{Lines} lines were written to the standard output; a stream cannot be resumed: run it again to start from the first line",
                summary.Instances);
            return;
        }

        logger.LogWarning(
            "{Lines} lines are in {Side}; a stream cannot be resumed (the standard input is read once): run again with {Restart} to start from the first line, or give the input as a file",
            summary.Instances, _storage.Output.PartialName, _options.NameOf(nameof(BatchOptions.Restart)));
    }
}
