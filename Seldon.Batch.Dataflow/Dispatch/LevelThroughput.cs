namespace Seldon.Batch.Dataflow;

/// <summary>The answers per second one limit of <see cref="AdaptiveLimit"/> brings, by Little's law: the requests on the
/// wire on average ÷ their mean time there, over every request sent and answered under that limit.</summary>
/// <remarks>Counting answers over a window's time was tried first and measured up to twice the server's capacity on a
/// busy machine: a window holds a few dozen answers, and answers that come in clumps (threads delayed, then run together)
/// put its first and last answer close. The mean latency takes every request of the window into account, and a request
/// that queued in the server counts in it for as long as it waited, which is what the answers per second lose. The
/// requests between an answer and the next send are not on the wire, so the figure is somewhat more than the answers per
/// second really are, alike for two limits next to each other.</remarks>
internal sealed class LevelThroughput
{
    private long _sent;
    private long _inFlight;
    private int _answered;
    private double _milliseconds;

    /// <summary>Answers per second; NaN before a request was sent and answered (nothing known yet).</summary>
    public double PerSecond => _sent == 0 || _answered == 0 || _milliseconds <= 0
        ? double.NaN
        : (double)_inFlight / _sent / (_milliseconds / _answered / 1000);

    /// <summary>Counts a request sent with <paramref name="inFlight"/> on the wire (itself included).</summary>
    public void Sent(int inFlight)
    {
        _sent++;
        _inFlight += inFlight;
    }

    /// <summary>Counts an answer after <paramref name="milliseconds"/> on the wire.</summary>
    public void Answered(double milliseconds)
    {
        _answered++;
        _milliseconds += milliseconds;
    }

    /// <summary>Forgets everything (a new limit).</summary>
    public void Clear()
    {
        _sent = 0;
        _inFlight = 0;
        _answered = 0;
        _milliseconds = 0;
    }
}
