namespace Seldon.Batch.Dataflow;

/// <summary>Where a file run is, reported about once a second and once more when it ends.</summary>
/// <param name="LinesWritten">Output lines in the output so far, those kept from an interrupted run included (for
/// <c>--retry-failed</c>: failed lines sent again and written).</param>
/// <param name="Failed">Error records among them.</param>
/// <param name="Fraction">Share of the work written, 0 to 1: of the input's lines (their count estimated from the bytes
/// read per line read), or of the failed lines a retry sends; exactly 1 when a run completed.</param>
/// <param name="Elapsed">Time since the run started.</param>
/// <param name="LinesPerSecond">Lines written per second over about the last 10 seconds (zero during a stall).</param>
public sealed record RunProgress(long LinesWritten, long Failed, double Fraction, TimeSpan Elapsed, double LinesPerSecond)
{
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
