using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Seldon.Batch.Dataflow;

/// <summary>The outage breaker shared by all workers: Polly's circuit breaker, opened by outage failures (refused,
/// reset, 502/503/504, gRPC Unavailable), plus a gate that requests wait at while it is open, and the outage budget
/// (<see cref="RetrySettings.MaxOutage"/>, and a short one before the model ever answered).</summary>
/// <remarks>Polly's breaker fails calls fast while it is open and lets one probe through once its break is over; it
/// does not make callers wait. The gate adds that: a request that finds the circuit open waits until it closes (or its
/// break is over, to be the probe), so no worker spins and no line is failed while the model is away.
/// <para>While the circuit is closed and no outage has been seen for a sampling window, requests skip Polly's pipeline
/// (its state machines and its lock on every send, a few per cent of a request at batch size 1): their outcomes are
/// counted in a <see cref="SuccessTally"/>, in the 50-ms windows Polly's breaker would have counted them in (the tally
/// follows Polly's chain of windows: every outcome it counts, its resets), and the first outage hands the tally to Polly,
/// each window's successes at the time the window began, before the outage itself, so the circuit opens when Polly alone
/// would open it (EndpointBreakerClosedPathProperties). Only an answer that arrives while the tally is being told (a few
/// milliseconds at the start of an outage) is told at its own time ahead of older ones, into a newer window.</para></remarks>
internal sealed partial class EndpointBreaker
{
    /// <summary>How long a run may go without any answer from its start before the endpoint counts as unreachable
    /// (a wrong host stops within seconds), unless <see cref="RetrySettings.WaitReady"/> asks for longer.</summary>
    internal static readonly TimeSpan UnreachableAfter = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan FirstBreak = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongestBreak = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan SamplingDuration = TimeSpan.FromSeconds(0.5); // the shortest Polly allows: a busy run opens it quickly too; Polly keeps it as 10 windows of SuccessTally.WindowDuration
    private static readonly PredictionResponse Answered = PredictionResponse.Success("{}", 200);
    private const long NoOutage = long.MinValue;

    private readonly ResiliencePipeline<PredictionResponse> _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly ILogger _logger;
    private readonly TimeSpan _maxOutage;
    private readonly TimeSpan _waitReady;
    private readonly TimeProvider _time;
    private readonly long _started;
    private readonly object _lock = new();
    private TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastReached = -1;
    private long _opened;
    private PredictionFailure? _lastOutage;

    // The way around Polly while the circuit is closed and healthy (see the remarks): 1 while requests take it; changed
    // under _fastLock only, with the tally sealed or opened in the same step.
    private readonly object _fastLock = new();
    private readonly SuccessTally _tally;
    private readonly ReplayClock _pollyClock;
    private int _fast;
    private long _lastOutageHandled = NoOutage;
    private bool _neverFast;

    /// <param name="settings">The outage budget (<see cref="RetrySettings.MaxOutage"/>, <see cref="RetrySettings.WaitReady"/>)
    /// and the workers, which size the circuit's sample.</param>
    /// <param name="logger">Told when the circuit opens, probes and closes.</param>
    /// <param name="time">The clock of the budget, of the circuit's breaks (Polly's breaker runs on it too) and of the
    /// wait at the gate; the system's when null.</param>
    public EndpointBreaker(RetrySettings settings, ILogger logger, TimeProvider? time = null)
    {
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _started = _time.GetTimestamp();
        _maxOutage = settings.MaxOutage;
        _waitReady = settings.WaitReady;
        _closed.SetResult();
        _tally = new SuccessTally(_time.GetUtcNow());
        _pollyClock = new ReplayClock(_time);
        _pipeline = new ResiliencePipelineBuilder<PredictionResponse> { TimeProvider = _pollyClock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<PredictionResponse>
            {
                FailureRatio = 0.5,
                // As many requests as there are workers: with everything refused, one round of them opens the circuit.
                MinimumThroughput = Math.Clamp(settings.Workers, 2, 10),
                StateProvider = _state,
                SamplingDuration = SamplingDuration,
                BreakDurationGenerator = args => ValueTask.FromResult(
                    TimeSpan.FromTicks(Math.Min(LongestBreak.Ticks, FirstBreak.Ticks << Math.Min(args.HalfOpenAttempts, 4)))),
                ShouldHandle = args =>
                {
                    var outage = IsOutage(args.Outcome.Result);
                    if (outage)
                    {
                        LeaveClosedPath(); // a request that took Polly's path while the closed path was taken up again
                    }

                    // Polly counts this outcome next, perhaps in a window it starts: the tally follows its windows.
                    _tally.Note(_pollyClock.GetUtcNow());
                    return ValueTask.FromResult(outage);
                },
                OnOpened = args =>
                {
                    OnOpened(args.BreakDuration);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    LogProbing(_logger);
                    return default;
                },
                OnClosed = _ =>
                {
                    _tally.ResetWindows(); // Polly reset its counts
                    OnClosed();
                    return default;
                },
            })
            .Build();
        _tally.Open();
        _fast = 1;
    }

    /// <summary>Whether requests skip Polly's pipeline while the circuit is closed and healthy (the default); false sends
    /// every request through it: the reference the tests hold the shortcut to.</summary>
    internal bool SkipsPollyWhileClosed
    {
        get => !_neverFast;
        init
        {
            _neverFast = !value;
            if (_neverFast)
            {
                LeaveClosedPath();
            }
        }
    }

    /// <summary>Whether the model has answered since the start (with a prediction or by refusing a line).</summary>
    public bool ModelReached => Volatile.Read(ref _lastReached) >= 0;

    /// <summary>Whether the run is still in its <see cref="RetrySettings.WaitReady"/> window, with nothing answered yet: failures that
    /// stop a run (a 404 while the deployment is being created) are waited out like an outage.</summary>
    public bool WaitingForReady => !ModelReached && _waitReady > TimeSpan.Zero && _time.GetElapsedTime(_started) < _waitReady;

    /// <summary>Now on the breaker's clock: what <see cref="OutageBudgetSpent"/> takes as when a request began failing.</summary>
    public long Now => _time.GetTimestamp();

    /// <summary>The last outage failure, for the reason of a run that gave up waiting.</summary>
    public PredictionFailure? LastOutage => Volatile.Read(ref _lastOutage);

    /// <summary>The circuit's state as the <c>seldon.batch.breaker.state</c> gauge tells it: 0 closed, 1 half-open (a probe
    /// may go), 2 open (sending paused).</summary>
    public int ReadState() => _state.CircuitState switch
    {
        CircuitState.Closed => 0,
        CircuitState.HalfOpen => 1,
        _ => 2,
    };

    /// <summary>Whether a failure is waited out rather than retried a bounded number of times.</summary>
    public bool CountsAsOutage(PredictionFailure failure) =>
        failure.Kind == PredictionFailureKind.Outage || (failure.Kind == PredictionFailureKind.Misconfiguration && WaitingForReady);

    /// <summary>Sends through the circuit; throws <see cref="BrokenCircuitException"/> while it is open.</summary>
    /// <remarks>The request travels as state, so sending allocates no closure per request.</remarks>
    public ValueTask<PredictionResponse> ExecuteAsync<TState>(
        Func<TState, CancellationToken, ValueTask<PredictionResponse>> send, TState state, CancellationToken cancellationToken) =>
        Volatile.Read(ref _fast) != 0 ? ExecuteClosedAsync(send, state, cancellationToken) : ExecuteThroughPollyAsync(send, state, cancellationToken);

    /// <summary>The send while the circuit is closed and healthy: without Polly, its outcome counted as Polly's breaker
    /// would count it (an exception, a cancellation included, or any answer but an outage is a success to it).</summary>
    private async ValueTask<PredictionResponse> ExecuteClosedAsync<TState>(
        Func<TState, CancellationToken, ValueTask<PredictionResponse>> send, TState state, CancellationToken cancellationToken)
    {
        PredictionResponse response;
        try
        {
            cancellationToken.ThrowIfCancellationRequested(); // as Polly's breaker does before it calls
            response = await send(state, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception)
        {
            await ClosedOutcomeAsync(null).ConfigureAwait(false);
            throw;
        }

        await ClosedOutcomeAsync(response).ConfigureAwait(false);
        return response;
    }

    /// <summary>Whether a send may skip Polly now (the circuit closed, no outage within its sampling window); the caller
    /// then hands its outcome to <see cref="ClosedOutcomeAsync"/>, as <see cref="ExecuteAsync"/> does.</summary>
    public bool OnClosedPath => Volatile.Read(ref _fast) != 0;

    /// <summary>Counts the outcome of a send made on the closed path (<see cref="OnClosedPath"/>): null when the send threw
    /// (a success to Polly's breaker, as any answer but an outage). An outage is told to Polly, after the successes it
    /// was not told, before this returns; a success completes synchronously.</summary>
    public ValueTask ClosedOutcomeAsync(PredictionResponse? response)
    {
        if (response is not null && IsOutage(response))
        {
            // Polly is told the successes first (LeaveClosedPath), then this failure, as if it had made the call.
            LeaveClosedPath();
            return TellPollyAsync(response);
        }

        return CountSuccessAsync();
    }

    /// <summary>The send through Polly's pipeline (circuit open, half-open, or an outage seen within its sampling window);
    /// once the circuit is closed and the last outage older than the window, later requests skip Polly again.</summary>
    private async ValueTask<PredictionResponse> ExecuteThroughPollyAsync<TState>(
        Func<TState, CancellationToken, ValueTask<PredictionResponse>> send, TState state, CancellationToken cancellationToken)
    {
        var response = await _pipeline.ExecuteAsync(send, state, cancellationToken).ConfigureAwait(false);
        if (!IsOutage(response))
        {
            TryTakeClosedPath();
        }

        return response;
    }

    /// <summary>Whether Polly's breaker counts <paramref name="response"/> as a failure (its <c>ShouldHandle</c>).</summary>
    private bool IsOutage(PredictionResponse? response) => response?.Failure is { } f && CountsAsOutage(f);

    /// <summary>Counts a success of the closed path; told to Polly at once if the tally was sealed meanwhile.</summary>
    private ValueTask CountSuccessAsync() =>
        _tally.Add(_pollyClock.GetUtcNow()) ? ValueTask.CompletedTask : TellPollyAsync(Answered);

    /// <summary>Gives Polly's breaker an outcome that has already happened, as the outcome of a call.</summary>
    private async ValueTask TellPollyAsync(PredictionResponse outcome)
    {
        try
        {
            await _pipeline.ExecuteAsync(static (r, _) => ValueTask.FromResult(r), outcome, CancellationToken.None).ConfigureAwait(false);
        }
        catch (BrokenCircuitException)
        {
            // Opened meanwhile by another request: as for a call that was on the wire when it opened, nothing changes.
        }
    }

    /// <summary>Ends the closed path: Polly is told the successes of its sampling window, each window's at its start, so that
    /// its windows hold what they would hold had every request gone through it.</summary>
    private void LeaveClosedPath()
    {
        lock (_fastLock)
        {
            Volatile.Write(ref _lastOutageHandled, _time.GetTimestamp());
            if (Volatile.Read(ref _fast) == 0)
            {
                return;
            }

            Volatile.Write(ref _fast, 0);
            var counted = _tally.Seal(_time.GetUtcNow() - SamplingDuration - TimeSpan.FromMilliseconds(1));
            if (_state.CircuitState != CircuitState.Closed)
            {
                return; // opened by a request that was on the wire since before: Polly resets its counts when it closes
            }

            foreach (var (at, successes) in counted)
            {
                ReplayClock.ReplayAt(at);
                try
                {
                    for (var i = 0; i < successes; i++)
                    {
                        // Synchronous: a success while closed runs no callback that could wait.
                        var told = _pipeline.ExecuteAsync(static (r, _) => ValueTask.FromResult(r), Answered, CancellationToken.None);
                        if (!told.IsCompletedSuccessfully)
                        {
                            told.AsTask().GetAwaiter().GetResult();
                        }
                    }
                }
                catch (BrokenCircuitException)
                {
                    return;
                }
                finally
                {
                    ReplayClock.ReplayAt(null);
                }
            }
        }
    }

    /// <summary>Whether Polly was told of an outage within its sampling window: it may count it still.</summary>
    private bool OutageWithinWindow()
    {
        var last = Volatile.Read(ref _lastOutageHandled);
        return last != NoOutage && _time.GetElapsedTime(last) < SamplingDuration;
    }

    /// <summary>Starts the closed path again once the circuit is closed and no outage was seen for a sampling window.</summary>
    private void TryTakeClosedPath()
    {
        if (_neverFast || Volatile.Read(ref _fast) != 0 || OutageWithinWindow())
        {
            return;
        }

        lock (_fastLock)
        {
            if (Volatile.Read(ref _fast) == 0 && !OutageWithinWindow() && _state.CircuitState == CircuitState.Closed)
            {
                _tally.Open();
                Volatile.Write(ref _fast, 1);
            }
        }
    }

    /// <summary>Remembers what an answer says about the endpoint.</summary>
    public void Observe(PredictionResponse response)
    {
        if (response.Failure is null || response.Failure.Kind == PredictionFailureKind.Line)
        {
            Volatile.Write(ref _lastReached, _time.GetTimestamp());
        }
        else if (CountsAsOutage(response.Failure) || !response.Failure.ReachedServer)
        {
            Volatile.Write(ref _lastOutage, response.Failure);
        }
    }

    /// <summary>Waits while the circuit is open: until it closes, or at most <paramref name="longest"/> (the rest of its
    /// break, after which the next attempt may be the probe).</summary>
    public async ValueTask WaitWhileOpenAsync(TimeSpan longest, CancellationToken cancellationToken)
    {
        // Every request passes here: a volatile read, not the lock (which only orders the replacement of the source).
        var closed = Volatile.Read(ref _closed).Task;
        if (!closed.IsCompleted)
        {
            try
            {
                await closed.WaitAsync(longest, _time, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The break is over: the caller tries, and may be the probe.
            }
        }
    }

    /// <summary>Why waiting for the endpoint must end, or null while the budget lasts: nothing answered within the
    /// first seconds of the run (or <see cref="RetrySettings.WaitReady"/>), or this request has found the endpoint down since
    /// <paramref name="requestFailingSince"/> (a timestamp of <see cref="Now"/>) for longer than <see cref="RetrySettings.MaxOutage"/>.</summary>
    public string? OutageBudgetSpent(long requestFailingSince)
    {
        var now = _time.GetTimestamp();
        var reached = Volatile.Read(ref _lastReached);
        if (reached < 0)
        {
            var limit = _waitReady > TimeSpan.Zero ? _waitReady : (UnreachableAfter < _maxOutage ? UnreachableAfter : _maxOutage);
            return _time.GetElapsedTime(_started, now) > limit
                ? $"nothing answered in the first {limit.TotalSeconds:0.#} s{(_waitReady > TimeSpan.Zero ? $" ({SettingNames.WaitReady})" : "")} (is {SettingNames.Host} right?)"
                : null;
        }

        // The request's own clock: the one failing longest gives up first, and the stop then ends the others' wait.
        var waited = _time.GetElapsedTime(requestFailingSince, now);
        return waited > _maxOutage
            ? $"no answer for {waited.TotalSeconds:0.#} s, more than {SettingNames.MaxOutage} {_maxOutage.TotalSeconds:0.#} s"
            : null;
    }

    private void OnOpened(TimeSpan breakDuration)
    {
        lock (_lock)
        {
            if (_closed.Task.IsCompleted)
            {
                Volatile.Write(ref _closed, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                _opened = _time.GetTimestamp();
                LogOpened(_logger, LastOutage?.Detail ?? "outage", breakDuration.TotalSeconds);
                return;
            }
        }

        LogStillDown(_logger, breakDuration.TotalSeconds);
    }

    private void OnClosed()
    {
        TaskCompletionSource closed;
        lock (_lock)
        {
            closed = _closed;
        }

        if (closed.TrySetResult())
        {
            LogClosed(_logger, _time.GetElapsedTime(_opened).TotalSeconds);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The model is not answering ({Reason}): sending paused, probing again in {Seconds:0.#} s")]
    private static partial void LogOpened(ILogger logger, string reason, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model is still not answering: probing again in {Seconds:0.#} s")]
    private static partial void LogStillDown(ILogger logger, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "Probing the model")]
    private static partial void LogProbing(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "The model answers again after {Seconds:0.#} s: sending resumed")]
    private static partial void LogClosed(ILogger logger, double seconds);

    /// <summary>The breaker's clock as Polly reads it, except while the closed path's successes are being told to it:
    /// then, on the thread that tells them, the time each happened.</summary>
    private sealed class ReplayClock(TimeProvider inner) : TimeProvider
    {
        [ThreadStatic]
        private static DateTimeOffset? t_replayAt;

        public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

        public override long TimestampFrequency => inner.TimestampFrequency;

        public static void ReplayAt(DateTimeOffset? at) => t_replayAt = at;

        public override DateTimeOffset GetUtcNow() => t_replayAt ?? inner.GetUtcNow();

        public override long GetTimestamp() => inner.GetTimestamp();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
            inner.CreateTimer(callback, state, dueTime, period);
    }
}
