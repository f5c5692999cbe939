using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>The moving limit of <c>--workers auto</c>: AIMD (additive increase, multiplicative decrease) on the model's
/// latency and its overload answers, with a slow start. docs/operations.md ("Sharing a model") says why this one.</summary>
/// <remarks>
/// <para>Answers are judged in windows of at least <see cref="MinWindow"/> answers and twice the limit (about two
/// round trips' worth), made only of requests sent under the current limit (its epoch), so a change is judged by what it
/// caused. At the end of a window its median and its 90th percentile are compared with their baselines, the third
/// lowest window median and window 90th percentile of the last one to two <see cref="BaselinePeriod"/>s
/// (<see cref="RecentLows"/>: one window measured fast by chance does not set it; old enough to forget a model that
/// became slower for good, recent enough to hold the unloaded latency while the limit sits near the server's
/// capacity):</para>
/// <list type="bullet">
/// <item>the median above <see cref="Tolerance"/> × its baseline, or the 90th percentile above <see cref="TailTolerance"/>
/// × its own, in two windows in a row (or the median above <see cref="SteepRise"/> × its baseline in one; a single slower
/// window is not grown on): the server queues, the limit × unloaded ÷ window median, between 0.5 and 0.9 (at least one
/// less), and it holds for the next <see cref="HoldWindows"/> windows' worth of round trips (<see cref="HoldAt"/>). The tail sees what
/// the median cannot: one request more than the server's capacity queues about one request in every limit for a whole
/// service time, which leaves the median where it was and doubles the tail;</item>
/// <item>within both, the window filled the limit (requests waited for a slot), and the limit came from a growth: the
/// answers per second it brings (<see cref="LevelThroughput"/>, over all its windows so far) against those of the limit
/// it grew from. Less than <see cref="Payback"/> of the proportional gain (one more request at 8 could bring 12.5 %; it
/// must bring 6.25 %): the growth is undone and held like a back-off, and the limit it returns to, when it had been kept
/// on one window only, is judged again against the one it grew from (once: an undo back from there is the last). Near the server's capacity a probe one above it brings a few percent, queues a request
/// or two and is undone after one window, whether or not its tail showed it; a probe that gained by chance is undone
/// when the next one shows the truth;</item>
/// <item>within all of these, the window filled the limit, and no hold: until the first back-off the limit doubles (slow
/// start), then grows by one;</item>
/// <item>an overload answer (429, 503, gRPC ResourceExhausted or Unavailable from the server, a timeout) of the current
/// epoch halves it at once; later overloads of requests sent before that halving do not halve it again.</item>
/// </list>
/// <para>Always from 1 to the maximum. Each change is one debug line (old → new, why) and the gauge
/// <c>seldon.batch.concurrency.limit</c> reads <see cref="Limit"/>. Time (the baseline's periods) comes from the run's
/// clock, so tests drive it with a fake one.</para>
/// </remarks>
internal sealed partial class AdaptiveLimit
{
    /// <summary>The fewest answers a window is judged on: fewer make the median noise.</summary>
    internal const int MinWindow = 16;

    /// <summary>How much slower than the baseline a window's median may be before the limit backs off: 1.15 keeps the
    /// server's queue near a sixth of its service time, so its p95 can stay inside 1.5 × the unloaded latency (issue 21).</summary>
    internal const double Tolerance = 1.15;

    /// <summary>How much slower than its baseline a window's 90th percentile may be: the issue's bound on the server's p95
    /// (1.5 × unloaded). A probe one above the server's capacity doubles it, so the probe is undone one window later.</summary>
    internal const double TailTolerance = 1.5;

    /// <summary>Windows after a back-off on latency in which the limit does not grow: a probe above the server's capacity
    /// then happens one window in <c>HoldWindows + 2</c>, so the requests it queues stay a few percent of all, below the
    /// server's p95.</summary>
    internal const int HoldWindows = 8;

    /// <summary>The share of what an increase could bring in proportion (one more request at 8: 12.5 % more answers per
    /// second) that it must bring, or it is undone: half, so one request queued behind the server's capacity in every
    /// two that it adds (which the mean latency shows) is too many.</summary>
    internal const double Payback = 0.5;

    /// <summary>A median this many times its baseline backs off at once; a smaller rise (or a tail alone) must be seen in
    /// two windows in a row. A limit twice the server's capacity doubles the median (the slow start's overshoot); one
    /// window 15 % slower is as often the client's own machine as the server.</summary>
    internal const double SteepRise = 1.5;

    /// <summary>How long a baseline measurement counts (it is kept one to two periods).</summary>
    internal static readonly TimeSpan BaselinePeriod = TimeSpan.FromSeconds(30);

    private readonly object _lock = new();
    private readonly int _maximum;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Action<int> _onChange;
    private readonly List<double> _window = new(MinWindow * 2);
    private int _limit;
    private int _epoch;
    private bool _slowStart = true;
    private bool _filled;
    private readonly RecentLows _medians = new();
    private readonly RecentLows _tails = new();
    private int _hold;
    private int _slowWindows;
    private long _periodStarted;
    private readonly LevelThroughput _rate = new();
    private readonly Stack<(int From, int To, double PerSecond, int Windows)> _growths = new();
    private int _levelWindows;
    private bool _undone; // the last change was an undone increase

    /// <param name="settings">The maximum and the first limit.</param>
    /// <param name="time">The clock of the baseline's periods.</param>
    /// <param name="logger">Told each change at debug level.</param>
    /// <param name="onChange">Given each new limit (the dispatch gate's).</param>
    public AdaptiveLimit(AdaptiveConcurrency settings, TimeProvider time, ILogger logger, Action<int> onChange)
    {
        _maximum = Math.Max(1, settings.Maximum);
        _limit = Math.Clamp(settings.Initial, 1, _maximum);
        _time = time;
        _logger = logger;
        _onChange = onChange;
        _periodStarted = time.GetTimestamp();
    }

    /// <summary>The current limit.</summary>
    public int Limit => Volatile.Read(ref _limit);

    /// <summary>The most the limit may be.</summary>
    public int Maximum => _maximum;

    /// <summary>The unloaded median, in milliseconds, from the recent windows' medians (<see cref="RecentLows"/>; infinite
    /// until a window was judged).</summary>
    internal double Baseline
    {
        get
        {
            lock (_lock)
            {
                return _medians.Value;
            }
        }
    }

    /// <summary>Notes a request going on the wire with <paramref name="inFlight"/> requests (itself included) there;
    /// returns the epoch to give back with its answer.</summary>
    public int Sent(int inFlight)
    {
        lock (_lock)
        {
            if (inFlight >= _limit)
            {
                _filled = true;
            }

            _rate.Sent(inFlight);

            return _epoch;
        }
    }

    /// <summary>Takes an answer into account.</summary>
    /// <param name="epoch">What <see cref="Sent"/> returned for its request.</param>
    /// <param name="latency">The time on the wire.</param>
    /// <param name="failure">Its failure, if any: an overload halves the limit, other failures are not a latency.</param>
    public void Answered(int epoch, TimeSpan latency, PredictionFailure? failure)
    {
        var overload = failure is not null && IsOverload(failure);
        if (failure is not null && !overload && failure.Kind != PredictionFailureKind.Line)
        {
            return; // an outage or a misconfiguration is the breaker's, not a measure of load
        }

        int old, changed;
        string why;
        lock (_lock)
        {
            if (epoch != _epoch)
            {
                return; // sent under another limit: the change it led to was already made
            }

            old = _limit;
            if (overload)
            {
                changed = Math.Max(1, old / 2);
                why = $"the server is overloaded ({failure!.Status switch { 0 => "a timeout", var s => $"status {s}" }})";
                _slowStart = false;
                _growths.Clear();
                _undone = false;
            }
            else
            {
                _window.Add(latency.TotalMilliseconds);
                _rate.Answered(latency.TotalMilliseconds);
                if (_window.Count < WindowAt(old))
                {
                    return;
                }

                (changed, why) = Judge(old);
            }

            Next(changed);
        }

        if (changed != old)
        {
            LogChange(_logger, old, changed, why);
            _onChange(changed);
        }
    }

    /// <summary>Whether a failure says the server has too much to do: 429, 503, gRPC ResourceExhausted (8) or Unavailable
    /// (14) answered by the server, or no answer in time.</summary>
    internal static bool IsOverload(PredictionFailure failure) => failure.Kind switch
    {
        PredictionFailureKind.Transient => failure.Status is 429 or 8 || RequestDispatcher.IsTimeout(failure),
        PredictionFailureKind.Outage => failure.ReachedServer && failure.Status is 503 or 14,
        _ => false,
    };

    /// <summary>The limit after a full window: the median against the baseline, and whether the limit was used.</summary>
    private (int Limit, string Why) Judge(int old)
    {
        _levelWindows++;
        var (median, tail) = Measure();
        var baseline = _medians.Value;
        var tailBaseline = _tails.Value;
        var slow = median > Tolerance * baseline || tail > TailTolerance * tailBaseline;
        _slowWindows = slow ? _slowWindows + 1 : 0;
        if (slow && (_slowWindows >= 2 || median > SteepRise * baseline))
        {
            return BackOff(old, baseline / median,
                $"latency rose: median {median:0.#} ms against {baseline:0.#} ms unloaded, 90th percentile {tail:0.#} ms against {tailBaseline:0.#} ms");
        }

        if (!_filled)
        {
            // Held back by something else (the input, --max-rate): the answers/s say nothing about the server.
            _rate.Clear();
            if (_hold > 0)
            {
                _hold--;
            }

            return (old, "");
        }

        var rate = _rate.PerSecond;
        if (Undo(old, rate) is { } undone)
        {
            return undone;
        }

        if (_hold > 0)
        {
            _hold--;
            return (old, "");
        }

        // Once slower may be the client's own machine (a pause, a busy core): not grown on, and backed off if the next
        // window says it again. A probe that queues was undone meanwhile by the throughput check.
        return slow ? (old, "") : (Grow(old, rate), $"latency holds: median {median:0.#} ms against {baseline:0.#} ms unloaded");
    }

    /// <summary>The window's median and 90th percentile, each added to its baseline's recent lows (a new period of them
    /// every <see cref="BaselinePeriod"/>).</summary>
    private (double Median, double Tail) Measure()
    {
        _window.Sort();
        var median = _window[_window.Count / 2];
        var tail = _window[_window.Count * 9 / 10];
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_periodStarted, now) >= BaselinePeriod)
        {
            _medians.NextPeriod();
            _tails.NextPeriod();
            _periodStarted = now;
        }

        _medians.Add(median);
        _tails.Add(tail);
        return (median, tail);
    }

    /// <summary>Down by as much as the window is slower (<paramref name="speed"/>: baseline ÷ median; a limit twice the
    /// server's capacity doubles the median: halved at once, not in six steps that each queue a window), between × 0.5 and
    /// × 0.9, at least one less, then held.</summary>
    private (int Limit, string Why) BackOff(int old, double speed, string why)
    {
        _slowStart = false;
        _growths.Clear();
        _undone = false;
        var lower = Math.Max(1, Math.Min(old - 1, (int)(old * Math.Clamp(speed, 0.5, 0.9))));
        _hold = HoldAt(lower);
        return (lower, why);
    }

    /// <summary>When <paramref name="old"/> came from a growth that brought less than <see cref="Payback"/> of its
    /// proportional gain in answers per second (<paramref name="rate"/>): the limit it grew from, held; otherwise null.</summary>
    private (int Limit, string Why)? Undo(int old, double rate)
    {
        if (!_growths.TryPeek(out var growth) || growth.To != old
            || rate >= growth.PerSecond * (1 + Payback * (old - growth.From) / growth.From))
        {
            return null;
        }

        if (_growths.Pop().Windows > 1 || _undone)
        {
            // The limit it returns to was measured over several windows before it grew, or is itself what an undo
            // returned to: it stands, and the ones under it are not judged again on older figures (a busy minute on
            // the client's machine would walk them all down, one a window).
            _growths.Clear();
        }

        _undone = true;
        _slowStart = false;
        _hold = HoldAt(growth.From);
        return (growth.From, $"throughput did not grow with the limit: {rate:0.#} answers/s against {growth.PerSecond:0.#} at {growth.From}");
    }

    /// <summary>The next limit up (doubled in the slow start, else one more, at most the maximum), remembered with the
    /// answers per second of <paramref name="old"/> so that the next window can tell whether it paid for itself.</summary>
    private int Grow(int old, double rate)
    {
        var grown = Math.Min(_maximum, _slowStart ? old * 2 : old + 1);
        if (grown != old)
        {
            _undone = false;
            if (double.IsNaN(rate))
            {
                _growths.Clear();
            }
            else
            {
                _growths.Push((old, grown, rate, _levelWindows));
            }
        }

        return grown;
    }

    /// <summary>The windows to hold <paramref name="limit"/> for: <see cref="HoldWindows"/> windows of two round trips each
    /// (the window at 8 and above); below 8 a window of <see cref="MinWindow"/> answers is more round trips, and a limit of
    /// 1 held for 8 of them (128 round trips, seconds) would cost more than a probe does.</summary>
    private static int HoldAt(int limit) => (HoldWindows * 2 * limit + WindowAt(limit) - 1) / WindowAt(limit);

    /// <summary>The answers a window at <paramref name="limit"/> holds: about two round trips, and at least <see cref="MinWindow"/>.</summary>
    private static int WindowAt(int limit) => Math.Max(MinWindow, 2 * limit);

    /// <summary>Starts the next window (and epoch, when the limit changed).</summary>
    private void Next(int limit)
    {
        if (limit != _limit)
        {
            _epoch++;
            Volatile.Write(ref _limit, limit);
            _rate.Clear();
            _slowWindows = 0;
            _levelWindows = 0;
        }

        _window.Clear();
        _filled = false;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Concurrency limit {Old} -> {New}: {Why}")]
    private static partial void LogChange(ILogger logger, int old, int @new, string why);
}
