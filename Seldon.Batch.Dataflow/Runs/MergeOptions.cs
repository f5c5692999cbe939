namespace Seldon.Batch.Dataflow;

/// <summary>What <see cref="ShardMerge.MergeAsync"/> joins: the parts that <see cref="BatchOptions.ShardCount"/> runs
/// wrote next to their common output.</summary>
internal sealed record MergeOptions
{
    /// <summary>The output the shards were given (a file or <c>s3://bucket/key</c>); the parts sit in <c>&lt;output&gt;.parts/</c>.</summary>
    public string OutputDataPath { get; init; } = "";

    /// <summary>The shards' <see cref="BatchOptions.ShardCount"/>; 0 (the default) finds it from the shard plan they
    /// published next to the output.</summary>
    public int ShardCount { get; init; }

    /// <summary>As <see cref="BatchOptions.S3Endpoint"/>.</summary>
    public string S3Endpoint { get; init; } = "";

    /// <summary>Where to write the combined summary as JSON; none when empty.</summary>
    public string SummaryPath { get; init; } = "";

    /// <summary>The smallest part the store copies server-side (S3: 5 MiB); tests lower it.</summary>
    internal long CopyPartMinimumBytes { get; init; } = 5 << 20;

    /// <summary>Part size of a streamed S3 merge.</summary>
    internal int S3PartBytes { get; init; } = ObjectStore.DefaultPartBytes;
}
