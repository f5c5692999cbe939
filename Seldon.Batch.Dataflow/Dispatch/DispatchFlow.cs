using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>What lets a request onto the wire: the <see cref="DispatchGate"/> (at most the limit in flight, earliest line
/// first), whose limit is fixed (<c>--workers N</c>) or moved by an <see cref="AdaptiveLimit"/> (<c>--workers auto</c>), and
/// the <c>--max-rate</c> pacing shared by every attempt of the block (retries reach the server too).</summary>
internal sealed class DispatchFlow : IDisposable
{
    private readonly DispatchGate _gate;
    private readonly RatePacer? _rate;
    private readonly IDisposable _gauges;

    /// <param name="settings">The worker bound, the adaptive limit and the rate.</param>
    /// <param name="logger">Where the adaptive limit's changes are logged.</param>
    /// <param name="time">The clock of the adaptive limit and of the rate's waits.</param>
    /// <param name="limitChanged">Told after the adaptive limit moved the gate's <see cref="Limit"/>.</param>
    public DispatchFlow(RetrySettings settings, ILogger logger, TimeProvider time, Action? limitChanged = null)
    {
        if (settings.Adaptive is { } adaptive)
        {
            Adaptive = new AdaptiveLimit(adaptive, time, logger, limit =>
            {
                _gate!.SetLimit(limit);
                limitChanged?.Invoke();
            });
            _gate = new DispatchGate(Adaptive.Limit);
        }
        else
        {
            _gate = new DispatchGate(settings.Workers);
        }

        if (settings.MaxRate is { } rate)
        {
            _rate = new RatePacer(rate, time);
        }

        var fixedLimit = settings.Workers;
        _gauges = FlowInstruments.Track(Adaptive is { } moving ? () => moving.Limit : () => fixedLimit, settings.MaxRate?.PerSecond);
    }

    /// <summary>The moving limit of <c>--workers auto</c>; null for a fixed one.</summary>
    public AdaptiveLimit? Adaptive { get; }

    /// <summary>The requests let on the wire at once now: <c>--workers</c>, or where <c>--workers auto</c> has moved it.</summary>
    public int Limit => _gate.Limit;

    /// <summary>Whether requests wait for <c>--max-rate</c>'s pacing (<see cref="PaceAsync"/>).</summary>
    public bool Paces => _rate is not null;

    /// <summary>The requests that waited for a slot (<see cref="DispatchGate.Waits"/>).</summary>
    internal long GateWaits => _gate.Waits;

    /// <summary>Waits for a slot on the wire (see <see cref="DispatchGate.EnterAsync"/>).</summary>
    public ValueTask<DispatchGate.Slot> EnterAsync(long order, CancellationToken cancellationToken) => _gate.EnterAsync(order, cancellationToken);

    /// <summary>Waits until the rate allows a request of <paramref name="lines"/> lines; at once without a rate.</summary>
    public ValueTask PaceAsync(int lines, CancellationToken cancellationToken) =>
        _rate is null ? ValueTask.CompletedTask : _rate.WaitAsync(lines, cancellationToken);

    /// <summary>Notes a request going on the wire; its epoch for <see cref="Answered"/> (0 without an adaptive limit).</summary>
    public int Sent() => Adaptive?.Sent(_gate.InUse) ?? 0;

    /// <summary>Tells the adaptive limit, if any, how a request went.</summary>
    public void Answered(int epoch, TimeSpan latency, PredictionResponse response) =>
        Adaptive?.Answered(epoch, latency, response.Failure);

    /// <inheritdoc />
    public void Dispose() => _gauges.Dispose();
}
