namespace Seldon.Batch.Dataflow;

/// <summary>The current rate of a growing count: its growth over about the last <c>width</c> of time, so that a stall
/// shows as a rate falling to zero rather than as a slowly sinking average over the whole run.</summary>
internal sealed class RateWindow
{
    private readonly TimeSpan _width;
    private readonly List<(TimeSpan At, long Count)> _samples = [];

    /// <param name="width">How far back the rate looks.</param>
    public RateWindow(TimeSpan width) => _width = width;

    /// <summary>Records <paramref name="count"/> at <paramref name="at"/> (times never go back) and returns the count's
    /// growth per second since the last sample at least <c>width</c> old, or since the first one while there is none;
    /// zero with nothing to compare to.</summary>
    public double Add(TimeSpan at, long count)
    {
        _samples.Add((at, count));
        // Keep one sample at or before the window's start, as the baseline: the rate then spans the whole window.
        while (_samples.Count > 2 && _samples[1].At <= at - _width)
        {
            _samples.RemoveAt(0);
        }

        var (since, then) = _samples[0];
        var seconds = (at - since).TotalSeconds;
        return seconds > 0 ? Math.Max(0, count - then) / seconds : 0;
    }
}
