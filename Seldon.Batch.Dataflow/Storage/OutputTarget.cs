namespace Seldon.Batch.Dataflow;

/// <summary>Where a run's output goes: written to a partial form first (a side file, a multipart upload) that
/// becomes the output only when the run completes, so an output that exists is always complete.</summary>
internal abstract class OutputTarget
{
    protected OutputTarget(StorageLocation location) => Location = location;

    public StorageLocation Location { get; }

    /// <summary>The run's hold on this output, when it has one: a store that writes next to the output as it goes (a
    /// multipart upload and its checkpoint) checks before each write that it still holds it.</summary>
    public OutputLock? Lock { get; set; }

    /// <summary>Where an unfinished run's lines are, for messages.</summary>
    public abstract string PartialName { get; }

    /// <summary>Whether each chunk of lines is flushed as it is written, for a reader downstream (a stream output), rather
    /// than at least once a second.</summary>
    public virtual bool FlushesEachWrite => false;

    /// <summary>The target at <paramref name="location"/>; <c>-</c> is <paramref name="streams"/>' output (by default the process's).</summary>
    public static OutputTarget Create(StorageLocation location, ObjectStore store, StandardStreams? streams = null) =>
        location.IsStream ? new StreamOutputTarget(location, (streams ?? StandardStreams.Process).OpenOutput)
        : location.IsObject ? new S3OutputTarget(location, store) : new LocalOutputTarget(location);

    /// <summary>Throws a settings <see cref="StorageException"/> when the output cannot be written there (no bucket).</summary>
    public abstract Task CheckAsync(CancellationToken ct);

    /// <summary>Whether the complete output exists.</summary>
    public abstract Task<bool> ExistsAsync(CancellationToken ct);

    /// <summary>Whether the partial output holds no byte of output yet: no side file or an empty one, an upload without
    /// a part. What a run that stopped then leaves is nothing to resume.</summary>
    public abstract bool PartialHoldsNothing { get; }

    /// <summary>Whether an unfinished run left lines to resume from.</summary>
    public abstract Task<bool> HasPartialAsync(CancellationToken ct);

    /// <summary>Drops what an unfinished run left (a new run starts from scratch) and returns how many lines it held
    /// (null when there was nothing). <paramref name="countLines"/> counts the lines of a partial output that does
    /// not record them (a side file); without it they are not counted (0).</summary>
    public abstract Task<long?> DiscardPartialAsync(Func<Stream, CancellationToken, Task<long>>? countLines, CancellationToken ct);

    /// <summary>The prefix an unfinished run left, cut to its last complete line. <paramref name="inspect"/> reads a
    /// partial output whose lines must be checked one by one (a side file); stores that record their prefix as they
    /// write it (a multipart checkpoint) do not need it.</summary>
    public abstract Task<WrittenPrefix> ResumeAsync(Func<Stream, CancellationToken, Task<WrittenPrefix>> inspect, CancellationToken ct);

    /// <summary>Opens the partial output for writing after <paramref name="start"/> (<see cref="WrittenPrefix.None"/>:
    /// from scratch). <paramref name="failuresIn"/>, when given, counts the error records of a chunk of complete
    /// lines, for stores that keep the count with what they wrote (a multipart checkpoint).</summary>
    public abstract Task<Stream> OpenAsync(
        WrittenPrefix start, string batchId, Func<ReadOnlyMemory<byte>, IReadOnlyDictionary<string, long>>? failuresIn, CancellationToken ct);

    /// <summary>Turns the partial output (its stream disposed) into the output. With <paramref name="exclusive"/> an
    /// existing output is not replaced: a second run writing the same part fails instead of publishing twice.</summary>
    public abstract Task PublishAsync(bool exclusive, CancellationToken ct);
}
