using System.Diagnostics.Metrics;

namespace Seldon.Batch.Dataflow;

/// <summary>The library's general instruments (docs/telemetry.md): lines, requests, retries, requests on the wire, their
/// latency, the breaker's state and the rate of lines written. Created once per process from
/// <see cref="BatchInstruments.Meter"/>; the places that know a fact record it, each behind the instrument's
/// <c>Enabled</c>, so nothing is measured, allocated or timed when nothing listens.</summary>
/// <remarks>Tags have few values (an outcome, a protocol, a transport, a failure kind): a request's id or a line's number
/// never becomes a tag of a metric. The observable gauges read every live block and run of the process
/// (<see cref="Breakers"/>, <see cref="LineRates"/>), so two blocks of one application are both seen.</remarks>
internal static class RunInstruments
{
    /// <summary>The tag of a request's outcome: <see cref="Ok"/> or <see cref="Failed"/>.</summary>
    public const string OutcomeTag = "outcome";

    /// <summary>The tag of the protocol a request speaks (<c>seldon</c>, <c>v2</c>).</summary>
    public const string ProtocolTag = "protocol";

    /// <summary>The tag of the transport a request goes by (<c>rest</c>, <c>grpc</c>; <c>other</c> for a client of the
    /// application's own).</summary>
    public const string TransportTag = "transport";

    /// <summary>The tag of an error record's <c>LineFailureKind</c>, in lower case.</summary>
    public const string FailureKindTag = "failure.kind";

    /// <summary>The outcome of a request answered with success.</summary>
    public const string Ok = "ok";

    /// <summary>The outcome of a request that failed (after its retries).</summary>
    public const string Failed = "failed";

    /// <summary>Input lines taken into the network to be predicted.</summary>
    public static readonly Counter<long> LinesRead = BatchInstruments.Meter.CreateCounter<long>(
        "seldon.batch.lines.read", "{line}", "Input lines taken into the network to be predicted");

    /// <summary>Output lines that are predictions.</summary>
    public static readonly Counter<long> LinesPredicted = BatchInstruments.Meter.CreateCounter<long>(
        "seldon.batch.lines.predicted", "{line}", "Output lines that are predictions");

    /// <summary>Output lines that are error records, by <see cref="FailureKindTag"/>.</summary>
    public static readonly Counter<long> LinesFailed = BatchInstruments.Meter.CreateCounter<long>(
        "seldon.batch.lines.failed", "{line}", "Output lines that are error records, by the kind of failure");

    /// <summary>Requests sent to the model, each counted once with its final outcome (its retries are counted apart).</summary>
    public static readonly Counter<long> Requests = BatchInstruments.Meter.CreateCounter<long>(
        "seldon.batch.requests", "{request}", "Requests sent to the model, counted once each with their final outcome");

    /// <summary>Attempts made beyond the first of a request (transient failures retried, re-sends after an outage).</summary>
    public static readonly Counter<long> Retries = BatchInstruments.Meter.CreateCounter<long>(
        "seldon.batch.retries", "{request}", "Attempts made beyond the first of a request");

    /// <summary>Attempts on the wire now.</summary>
    public static readonly UpDownCounter<long> InFlight = BatchInstruments.Meter.CreateUpDownCounter<long>(
        "seldon.batch.requests.in_flight", "{request}", "Requests on the wire now");

    /// <summary>How long a request's last attempt was on the wire (waits for a worker, a retry or the breaker excluded).</summary>
    public static readonly Histogram<double> RequestDuration = BatchInstruments.Meter.CreateHistogram(
        "seldon.batch.request.duration",
        "s",
        "How long a request's last attempt was on the wire",
        tags: null,
        advice: new InstrumentAdvice<double>
        {
            // Seconds, from a fast model's few milliseconds to a timeout's minute: the SDK's default buckets are meant
            // for milliseconds and would put every request in the first one.
            HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 10, 30, 60],
        });

    /// <summary>The breakers of the live blocks, read as 0 (closed), 1 (half-open) or 2 (open).</summary>
    public static readonly LiveGaugeSources<int> Breakers = new();

    /// <summary>The current rates of the live file runs, in lines written per second.</summary>
    public static readonly LiveGaugeSources<double> LineRates = new();

    /// <summary>The state of the outage breaker: the worst of the live blocks' (0 closed, 1 half-open, 2 open); no
    /// measurement while no block lives.</summary>
    public static readonly ObservableGauge<int> BreakerState = BatchInstruments.Meter.CreateObservableGauge(
        "seldon.batch.breaker.state", ObserveBreakers, unit: null, "The outage breaker: 0 closed, 1 half-open (probing), 2 open (sending paused)");

    /// <summary>Lines written per second over the last few seconds, summed over the live file runs; no measurement
    /// while no run lives.</summary>
    public static readonly ObservableGauge<double> LinesRate = BatchInstruments.Meter.CreateObservableGauge(
        "seldon.batch.lines.rate", ObserveRates, "{line}/s", "Lines written per second over the last ten seconds");

    private static IEnumerable<Measurement<int>> ObserveBreakers()
    {
        var any = false;
        var worst = 0;
        foreach (var state in Breakers.Read())
        {
            any = true;
            worst = Math.Max(worst, state);
        }

        return any ? [new Measurement<int>(worst)] : [];
    }

    private static IEnumerable<Measurement<double>> ObserveRates()
    {
        var any = false;
        var sum = 0.0;
        foreach (var rate in LineRates.Read())
        {
            any = true;
            sum += rate;
        }

        return any ? [new Measurement<double>(sum)] : [];
    }
}
