using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

// Whether an output found in place is this run's to keep: its record against this input and these settings, and the
// refusal when it is not (the output is left untouched; Restart discards it).
internal sealed partial class ResumePlan
{
    /// <summary>What a record could not tell, said as a warning once the output is accepted.</summary>
    [Flags]
    private enum RecordGaps
    {
        None = 0,

        /// <summary>No record (an older version, or deleted): the line counts alone tell the input.</summary>
        NoRecord = 1,

        /// <summary>An older version's fingerprint, which cannot be compared: the line counts alone tell the input.</summary>
        OldFingerprint = 2,

        /// <summary>No settings recorded (an older version): taken as made with these.</summary>
        NoSettings = 4,
    }

    /// <summary>Refuses an output whose <paramref name="record"/> says it was made from another input or (with
    /// <paramref name="compareSettings"/>) with other settings; returns what the record could not tell.
    /// <paramref name="subject"/> begins the refusal (<c>out.txt.partial holds a partial output</c>), <paramref name="mode"/>
    /// ends it (see <see cref="Refuse"/>).</summary>
    private static RecordGaps CheckRecord(RunRecord? record, InputFingerprint input, BatchOptions options, string subject, string? mode, bool compareSettings)
    {
        if (record is null)
        {
            return RecordGaps.NoRecord;
        }

        var gaps = RecordGaps.None;
        switch (input.CompareTo(record.Input))
        {
            case FingerprintComparison.Different:
                throw Refuse(mode, [], _ =>
                    $"{subject} of another input ({record.InputPath}: {record.Input}), not of {options.InputDataPath} ({input})");
            case FingerprintComparison.Unknown:
                gaps |= RecordGaps.OldFingerprint;
                break;
        }

        if (!compareSettings)
        {
            return gaps;
        }

        if (record.Settings is null)
        {
            return gaps | RecordGaps.NoSettings;
        }

        var differences = RunSettings.Of(options).DifferencesFrom(record.Settings);
        if (differences.Count > 0)
        {
            throw Refuse(mode, [.. differences.Select(d => d.Property)], name =>
                $"{subject} made with other settings ({string.Join(", ", differences.Select(d => $"{name(d.Property)} {d.Recorded}, not {d.Now}"))})");
        }

        return gaps;
    }

    /// <summary>Says what the record of the accepted output <paramref name="output"/> (at <paramref name="recordAt"/>)
    /// could not tell.</summary>
    private static void LogGaps(ILogger logger, RecordGaps gaps, string output, string recordAt)
    {
        if (gaps.HasFlag(RecordGaps.NoRecord))
        {
            logger.LogWarning("{Output} has no record of its input ({Record}): it is only checked against the input's line count", output, recordAt);
        }

        if (gaps.HasFlag(RecordGaps.OldFingerprint))
        {
            logger.LogWarning(
                "{Output} records its input as an older version did ({Record}), which cannot tell inputs of the same size apart: it is only checked against the input's line count",
                output, recordAt);
        }

        if (gaps.HasFlag(RecordGaps.NoSettings))
        {
            logger.LogWarning("{Output} records no settings ({Record}, written by an older version): it is taken as made with these", output, recordAt);
        }
    }

    /// <summary>The refusal of an output that is not this run's, <paramref name="problem"/> saying why (naming
    /// <paramref name="properties"/>). With a <paramref name="mode"/> (the property that asked to keep a complete output)
    /// it is named first and a run without it replaces the output; without one (a partial output, a shard's published
    /// part, which a run keeps by itself) the way out is to delete it or to discard it with <see cref="BatchOptions.Restart"/>.</summary>
    private static InvalidBatchOptionsException Refuse(string? mode, string[] properties, Func<Func<string, string>, string> problem) =>
        mode is null
            ? InvalidBatchOptionsException.About([nameof(BatchOptions.Restart), .. properties], name =>
                $"{problem(name)}: delete it or pass {name(nameof(BatchOptions.Restart))} to discard it")
            : InvalidBatchOptionsException.About([mode, .. properties], name =>
                $"{name(mode)}: {problem(name)}; run without {name(mode)} to replace it");

    /// <summary>Drops a shard's published part and its record (and any partial output beside it), for
    /// <see cref="BatchOptions.Restart"/>: the shard runs again.</summary>
    private static async Task DiscardPartAsync(RunStorage storage, ILogger logger, CancellationToken ct)
    {
        var part = storage.Output.Location;
        // The part first: a run stopped between the two leaves a record the next complete run replaces, not a part
        // without its record.
        await SmallObjects.DeleteAsync(storage.Store, part, ct).ConfigureAwait(false);
        await SmallObjects.DeleteAsync(storage.Store, RunRecord.CompletePathOf(part), ct).ConfigureAwait(false);
        logger.LogWarning("Discarding the published part {Part}: running the shard again, as asked", part);
    }
}
