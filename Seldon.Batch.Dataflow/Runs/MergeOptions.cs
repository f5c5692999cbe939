using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>What <see cref="BatchRun.MergeAsync(MergeOptions, CancellationToken)"/> joins: the parts that <see cref="BatchOptions.ShardCount"/> runs
/// wrote next to their common output.</summary>
public sealed record MergeOptions
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

    /// <summary>Where the merge logs; nothing is logged when null.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>The caller's word for a setting in the merge's messages, given its bare property name, as
    /// <see cref="BatchOptions.SettingName"/>; the bare property name itself when null.</summary>
    public Func<string, string>? SettingName { get; init; }
}
