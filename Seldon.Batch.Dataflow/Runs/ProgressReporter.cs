using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>Tells a run's progress once a second to an <see cref="IProgress{T}"/> (the CLI's bar) and, every
/// <see cref="BatchOptions.ProgressInterval"/>, as an info log line; once more when the run ends, so a completed run's
/// last report says 100%.</summary>
internal sealed class ProgressReporter
{
    /// <summary>How far back the current rate looks.</summary>
    public static readonly TimeSpan RateWidth = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private readonly RateWindow _rate = new(RateWidth);
    private readonly Func<(long Written, long Failed, double Fraction)> _measure;
    private readonly RunStatistics _stats;
    private readonly TimeSpan _logInterval;
    private readonly ILogger _logger;
    private readonly IProgress<RunProgress>? _progress;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly long _initial;
    private bool _measuring;
    private double _lastRate;

    /// <param name="measure">Lines written, error records among them and the share of the work done, now.</param>
    /// <param name="stats">The run's counters (for retries).</param>
    /// <param name="logInterval">How often a progress line is logged; zero: never.</param>
    /// <param name="logger">Where the progress line goes.</param>
    /// <param name="progress">Told about progress every second; may be null.</param>
    /// <param name="time">The clock.</param>
    public ProgressReporter(
        Func<(long Written, long Failed, double Fraction)> measure, RunStatistics stats, TimeSpan logInterval, ILogger logger, IProgress<RunProgress>? progress, TimeProvider time)
    {
        _measure = measure;
        _stats = stats;
        _logInterval = logInterval;
        _logger = logger;
        _progress = progress;
        _time = time;
        _started = time.GetTimestamp();
        _initial = measure().Written;
    }

    /// <summary>Where the run is now; feeds the rate window, so call it once per tick. The rate is measured from the
    /// first tick that finds lines written (the time before, connecting and waiting for the first answers, says nothing
    /// of the pace), so it is 0, and the time left unknown, until a second such tick has measured it.</summary>
    public RunProgress Sample()
    {
        var elapsed = _time.GetElapsedTime(_started);
        var (written, failed, fraction) = _measure();
        double rate = 0;
        if (_measuring)
        {
            rate = _rate.Add(elapsed, written);
        }
        else if (written > _initial)
        {
            _rate.Add(elapsed, written);
            _measuring = true;
        }

        Volatile.Write(ref _lastRate, rate);
        return new RunProgress(written, failed, fraction, elapsed, rate);
    }

    /// <summary>Reports until <paramref name="ct"/> is cancelled (the run is over), then once more.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        var nextLog = _logInterval;
        // The seldon.batch.lines.rate gauge reads the last rate measured while the run lasts.
        RunInstruments.LineRates.Add(this, () => Volatile.Read(ref _lastRate));
        try
        {
            while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
            {
                var now = Sample();
                _progress?.Report(now);
                if (_logInterval > TimeSpan.Zero && now.Elapsed >= nextLog)
                {
                    nextLog = now.Elapsed + _logInterval;
                    Log(now);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The run is over: its last state, which for a completed run is 100%.
            _progress?.Report(Sample());
        }
        finally
        {
            RunInstruments.LineRates.Remove(this);
        }
    }

    /// <summary>The share of an input of <paramref name="inputLength"/> bytes whose first <paramref name="written"/>
    /// lines are written, when <paramref name="linesRead"/> lines of <paramref name="bytesRead"/> bytes are read: the
    /// input's line count is told from the bytes per line read so far. <paramref name="bytesRead"/> must be the bytes of
    /// those lines, not of what the reader fetched ahead of them (a small file is fetched whole at once). Exactly 1 once
    /// every line is read and written.</summary>
    internal static double ShareOfInput(long written, long linesRead, long bytesRead, long inputLength) =>
        inputLength == 0 ? 1
        : linesRead == 0 ? 0
        : Math.Min(1, (double)written / linesRead * ((double)bytesRead / inputLength));

    private void Log(RunProgress now) => _logger.LogInformation(
        "Progress: {Written} lines written ({Percent:0.0}%), {Failed} failed, {Retries} retries, {Rate:0.0} lines/s over the last {Window} s, time left {Left}",
        now.LinesWritten, now.Fraction * 100, now.Failed, _stats.Retries, now.LinesPerSecond, RateWidth.TotalSeconds,
        now.Remaining is { } left ? TimeSpan.FromSeconds(Math.Ceiling(left.TotalSeconds)).ToString() : "unknown");
}
