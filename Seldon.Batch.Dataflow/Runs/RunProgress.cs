namespace Seldon.Batch.Dataflow;

/// <summary>Where a file run is, reported about once a second and once more when it ends. Made by the run; tests make one
/// with <see cref="BatchModelFactory.RunProgress"/>.</summary>
public sealed record RunProgress
{
    internal RunProgress(long linesWritten, long failed, double fraction, TimeSpan elapsed, double linesPerSecond)
    {
        LinesWritten = linesWritten;
        Failed = failed;
        Fraction = fraction;
        Elapsed = elapsed;
        LinesPerSecond = linesPerSecond;
    }

    /// <summary>Output lines in the output so far, those kept from an interrupted run included (for
    /// <c>--retry-failed</c>: failed lines sent again and written).</summary>
    public long LinesWritten { get; }

    /// <summary>Error records among them.</summary>
    public long Failed { get; }

    /// <summary>Share of the work written, 0 to 1: of the input's lines (their count estimated from the bytes read per
    /// line read), or of the failed lines a retry sends; exactly 1 when a run completed.</summary>
    public double Fraction { get; }

    /// <summary>Time since the run started.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Lines written per second over about the last 10 seconds (zero during a stall).</summary>
    public double LinesPerSecond { get; }

    /// <summary>Estimated time left at the current rate; zero once done, null while there is no rate to tell it from.</summary>
    public TimeSpan? Remaining
    {
        get
        {
            if (Fraction >= 1)
            {
                return TimeSpan.Zero;
            }

            if (Fraction <= 0 || LinesPerSecond <= 0)
            {
                return null;
            }

            var seconds = LinesWritten * ((1 - Fraction) / Fraction) / LinesPerSecond;
            return seconds < TimeSpan.MaxValue.TotalSeconds / 2 ? TimeSpan.FromSeconds(seconds) : null;
        }
    }
}
