using System.Diagnostics.Metrics;

namespace Seldon.Batch.Dataflow;

/// <summary>The gauges of the dispatch's flow control: <c>seldon.batch.concurrency.limit</c> (requests allowed on the wire
/// at once: fixed <c>--workers</c> or the moving limit of <c>--workers auto</c>) and <c>seldon.batch.rate.limit</c> (the
/// <c>--max-rate</c> asked for, in requests or lines per second, when there is one).</summary>
/// <remarks>Observable: read only when a listener collects, nothing per request. Each block (or file run) registers its
/// readings while it runs; a process running several reports their sum, which is what it may send at once.</remarks>
internal static class FlowInstruments
{
    private static readonly object Lock = new();
    private static readonly List<Source> Sources = [];

    static FlowInstruments()
    {
        BatchInstruments.Meter.CreateObservableGauge(
            "seldon.batch.concurrency.limit", ReadConcurrency, "{request}", "Requests allowed on the wire at once (fixed or adaptive)");
        BatchInstruments.Meter.CreateObservableGauge(
            "seldon.batch.rate.limit", ReadRate, "{request}/s", "The rate limit asked for (--max-rate), in requests or lines per second");
    }

    /// <summary>Reports <paramref name="concurrency"/> (and <paramref name="rate"/>, when not null) until the result is disposed.</summary>
    public static IDisposable Track(Func<int> concurrency, double? rate)
    {
        var source = new Source(concurrency, rate);
        lock (Lock)
        {
            Sources.Add(source);
        }

        return source;
    }

    private static IEnumerable<Measurement<int>> ReadConcurrency()
    {
        lock (Lock)
        {
            return Sources.Count == 0 ? [] : [new Measurement<int>(Sources.Sum(s => s.Concurrency()))];
        }
    }

    private static IEnumerable<Measurement<double>> ReadRate()
    {
        lock (Lock)
        {
            var rates = Sources.Where(s => s.Rate is not null).ToList();
            return rates.Count == 0 ? [] : [new Measurement<double>(rates.Sum(s => s.Rate!.Value))];
        }
    }

    private sealed class Source(Func<int> concurrency, double? rate) : IDisposable
    {
        public Func<int> Concurrency => concurrency;

        public double? Rate => rate;

        public void Dispose()
        {
            lock (Lock)
            {
                Sources.Remove(this);
            }
        }
    }
}
