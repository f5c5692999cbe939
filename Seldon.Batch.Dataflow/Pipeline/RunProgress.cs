namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>Where a file run is, reported about once a second.</summary>
/// <param name="LinesWritten">Output lines written by this run.</param>
/// <param name="Failed">Error records among them.</param>
/// <param name="Fraction">Share of the input file read, 0 to 1 (lines are sent soon after they are read).</param>
/// <param name="Elapsed">Time since the run started.</param>
public sealed record RunProgress(long LinesWritten, long Failed, double Fraction, TimeSpan Elapsed)
{
    /// <summary>Lines written per second.</summary>
    public double LinesPerSecond => Elapsed.TotalSeconds > 0 ? LinesWritten / Elapsed.TotalSeconds : 0;

    /// <summary>Estimated time left, from the share of the input read so far; null before it can be told.</summary>
    public TimeSpan? Remaining => Fraction is > 0.001 and < 1 ? Elapsed * ((1 - Fraction) / Fraction) : Fraction >= 1 ? TimeSpan.Zero : null;
}
