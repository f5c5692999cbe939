using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace Seldon.Batch.Dataflow;

/// <summary>The outage breaker shared by all workers: Polly's circuit breaker, opened by outage failures (refused,
/// reset, 502/503/504, gRPC Unavailable), plus a gate that requests wait at while it is open, and the outage budget
/// (<see cref="RetrySettings.MaxOutage"/>, and a short one before the model ever answered).</summary>
/// <remarks>Polly's breaker fails calls fast while it is open and lets one probe through once its break is over; it
/// does not make callers wait. The gate adds that: a request that finds the circuit open waits until it closes (or its
/// break is over, to be the probe), so no worker spins and no line is failed while the model is away.</remarks>
internal sealed partial class EndpointBreaker
{
    /// <summary>How long a run may go without any answer from its start before the endpoint counts as unreachable
    /// (a wrong host stops within seconds), unless <see cref="RetrySettings.WaitReady"/> asks for longer.</summary>
    internal static readonly TimeSpan UnreachableAfter = TimeSpan.FromSeconds(5);

    private static readonly TimeSpan FirstBreak = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan LongestBreak = TimeSpan.FromSeconds(5);

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
        _pipeline = new ResiliencePipelineBuilder<PredictionResponse> { TimeProvider = _time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<PredictionResponse>
            {
                FailureRatio = 0.5,
                // As many requests as there are workers: with everything refused, one round of them opens the circuit.
                MinimumThroughput = Math.Clamp(settings.Workers, 2, 10),
                StateProvider = _state,
                SamplingDuration = TimeSpan.FromSeconds(0.5), // the shortest Polly allows: a busy run opens it quickly too
                BreakDurationGenerator = args => ValueTask.FromResult(
                    TimeSpan.FromTicks(Math.Min(LongestBreak.Ticks, FirstBreak.Ticks << Math.Min(args.HalfOpenAttempts, 4)))),
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.Failure is { } f && CountsAsOutage(f)),
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
                    OnClosed();
                    return default;
                },
            })
            .Build();
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
        _pipeline.ExecuteAsync(send, state, cancellationToken);

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
}
