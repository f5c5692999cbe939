using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Diagnostics;

/// <summary>Listens to the library's meter and activity source with the real System.Diagnostics listeners (what an
/// OpenTelemetry SDK does underneath) and keeps every measurement and every span that ended.</summary>
internal sealed class TelemetryCapture : IDisposable
{
    private readonly MeterListener _meters = new();
    private readonly ActivityListener _spans;
    private readonly ConcurrentQueue<Measured> _measurements = new();
    private readonly ConcurrentQueue<Activity> _stopped = new();

    /// <param name="moreSources">Other activity sources to listen to (HttpClient's, the test's own).</param>
    public TelemetryCapture(params string[] moreSources)
    {
        _meters.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == BatchDiagnostics.MeterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _meters.SetMeasurementEventCallback<long>((i, value, tags, _) => _measurements.Enqueue(new(i.Name, value, tags.ToArray())));
        _meters.SetMeasurementEventCallback<int>((i, value, tags, _) => _measurements.Enqueue(new(i.Name, value, tags.ToArray())));
        _meters.SetMeasurementEventCallback<double>((i, value, tags, _) => _measurements.Enqueue(new(i.Name, value, tags.ToArray())));
        _meters.Start();
        _spans = new ActivityListener
        {
            ShouldListenTo = source => source.Name == BatchDiagnostics.ActivitySourceName || moreSources.Contains(source.Name),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _stopped.Enqueue,
        };
        ActivitySource.AddActivityListener(_spans);
    }

    /// <summary>The measurements of <paramref name="instrument"/> so far.</summary>
    public IReadOnlyList<Measured> Of(string instrument) => [.. _measurements.Where(m => m.Instrument == instrument)];

    /// <summary>The sum of <paramref name="instrument"/>'s measurements that carry every tag of <paramref name="tags"/>.</summary>
    public double Sum(string instrument, params (string Key, string Value)[] tags) =>
        Of(instrument).Where(m => tags.All(t => m.Tag(t.Key) == t.Value)).Sum(m => m.Value);

    /// <summary>What the observable instruments read now, of <paramref name="instrument"/>.</summary>
    public IReadOnlyList<Measured> Observe(string instrument)
    {
        var before = _measurements.Count;
        _meters.RecordObservableInstruments();
        return [.. _measurements.Skip(before).Where(m => m.Instrument == instrument)];
    }

    /// <summary>The spans that ended so far, of every source listened to.</summary>
    public IReadOnlyList<Activity> Spans => [.. _stopped];

    /// <summary>The library's spans named <paramref name="name"/> that ended so far.</summary>
    public IReadOnlyList<Activity> Library(string name) =>
        [.. _stopped.Where(a => a.Source.Name == BatchDiagnostics.ActivitySourceName && a.OperationName == name)];

    public void Dispose()
    {
        _spans.Dispose();
        _meters.Dispose();
    }
}

/// <summary>One measurement: its instrument, value and tags.</summary>
internal sealed record Measured(string Instrument, double Value, KeyValuePair<string, object?>[] Tags)
{
    public string? Tag(string key) => Tags.FirstOrDefault(t => t.Key == key).Value?.ToString();
}
