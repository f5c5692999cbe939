namespace Seldon.Batch.Dataflow;

/// <summary>Sizes of the object store's requests that S3 fixes or that only tests change: a local test store accepts
/// smaller parts, and reading an object in small ranges proves the ranged reads. The runs and the merge use
/// <see cref="Default"/>; tests pass their own through the internal overloads of <see cref="BatchRun"/>.</summary>
internal sealed record StorageTuning
{
    /// <summary>S3's sizes.</summary>
    public static StorageTuning Default { get; } = new();

    /// <summary>The smallest <see cref="BatchOptions.S3PartSize"/> accepted: S3's smallest part but the last, 5 MiB.</summary>
    public int MinimumPartBytes { get; init; } = 5 << 20;

    /// <summary>Bytes fetched by one ranged GET of an S3 input.</summary>
    public int ReadChunkBytes { get; init; } = ObjectStore.DefaultReadChunkBytes;

    /// <summary>The smallest part a merge copies server-side (S3: 5 MiB); smaller parts are joined by streaming.</summary>
    public long CopyPartMinimumBytes { get; init; } = 5 << 20;

    /// <summary>Part size of a merge that streams the parts into an S3 output.</summary>
    public int MergePartBytes { get; init; } = ObjectStore.DefaultPartBytes;

    /// <summary>What <c>-i -</c> and <c>-o -</c> read and write: the process's standard input and output; a test's own streams.</summary>
    public StandardStreams Streams { get; init; } = StandardStreams.Process;
}
