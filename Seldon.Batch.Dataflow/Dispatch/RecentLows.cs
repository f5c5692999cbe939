namespace Seldon.Batch.Dataflow;

/// <summary>The unloaded latency <see cref="AdaptiveLimit"/> compares windows with: the third lowest window figure of the
/// current and the previous period (the lowest while fewer than three were seen).</summary>
/// <remarks>The lowest alone is fragile: one window that happens to measure below the model's real service time (seen:
/// 18 ms against 20 ms) would make every later window look slower than the tolerance and walk the limit down to 1. The
/// third lowest needs three such windows. Values are kept per period and a period is forgotten after the next one, so
/// a model that became slower for good is judged by its new latency within two periods.</remarks>
internal sealed class RecentLows
{
    private const int Kept = 3;

    private readonly List<double> _now = new(Kept + 1);
    private readonly List<double> _before = new(Kept + 1);

    /// <summary>The baseline; infinite before the first value.</summary>
    public double Value
    {
        get
        {
            var count = _now.Count + _before.Count;
            if (count == 0)
            {
                return double.PositiveInfinity;
            }

            Span<double> all = stackalloc double[2 * Kept];
            _now.CopyTo(all);
            _before.CopyTo(all[_now.Count..]);
            var both = all[..count];
            both.Sort();
            return count >= Kept ? both[Kept - 1] : both[0];
        }
    }

    /// <summary>Takes a window's figure into the current period.</summary>
    public void Add(double value)
    {
        var at = _now.BinarySearch(value);
        _now.Insert(at < 0 ? ~at : at, value);
        if (_now.Count > Kept)
        {
            _now.RemoveAt(Kept);
        }
    }

    /// <summary>Starts a new period: the current one becomes the previous, the previous is forgotten.</summary>
    public void NextPeriod()
    {
        _before.Clear();
        _before.AddRange(_now);
        _now.Clear();
    }
}
