namespace Seldon.Batch.Dataflow;

/// <summary>The file run's summary of a block's counters: here, beside the <see cref="RunSummary"/> it makes, because the
/// block's <see cref="RunStatistics"/> know nothing of runs.</summary>
internal static class StatisticsSummary
{
    /// <summary>A summary of <paramref name="stats"/> now.</summary>
    public static RunSummary ToSummary(this RunStatistics stats, TimeSpan elapsed, string? outputPath = null) => new()
    {
        Instances = stats.Instances,
        Succeeded = stats.Succeeded,
        Failed = stats.Failed,
        FailuresByKind = stats.FailuresByKind,
        Retries = stats.Retries,
        Requests = stats.Requests,
        Elapsed = elapsed,
        OutputPath = outputPath,
        LatencyP50 = stats.LatencyPercentile(0.50),
        LatencyP95 = stats.LatencyPercentile(0.95),
        LatencyP99 = stats.LatencyPercentile(0.99),
    };
}
