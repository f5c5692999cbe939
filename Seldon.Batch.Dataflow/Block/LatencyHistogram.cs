namespace Seldon.Batch.Dataflow;

/// <summary>Request latencies in logarithmic buckets (about 2% wide, 10 µs to 20 min): percentiles in fixed
/// memory, however long the run. Thread-safe.</summary>
internal sealed class LatencyHistogram
{
    private const double Smallest = 1e-5;
    private const double Growth = 1.02;
    private static readonly double LogGrowth = Math.Log(Growth);
    private readonly long[] _counts = new long[1000];
    private long _total;

    public long Count => Interlocked.Read(ref _total);

    public void Record(TimeSpan latency)
    {
        var seconds = Math.Max(latency.TotalSeconds, Smallest);
        var bucket = (int)Math.Min(_counts.Length - 1, Math.Log(seconds / Smallest) / LogGrowth);
        Interlocked.Increment(ref _counts[bucket]);
        Interlocked.Increment(ref _total);
    }

    /// <summary>The latency below which <paramref name="quantile"/> of the requests fall (upper edge of its bucket).</summary>
    public TimeSpan Percentile(double quantile)
    {
        var total = Count;
        if (total == 0)
        {
            return TimeSpan.Zero;
        }

        var rank = (long)Math.Ceiling(quantile * total);
        long seen = 0;
        for (var i = 0; i < _counts.Length; i++)
        {
            seen += Interlocked.Read(ref _counts[i]);
            if (seen >= rank)
            {
                return TimeSpan.FromSeconds(Smallest * Math.Pow(Growth, i + 1));
            }
        }

        return TimeSpan.FromSeconds(Smallest * Math.Pow(Growth, _counts.Length));
    }
}
