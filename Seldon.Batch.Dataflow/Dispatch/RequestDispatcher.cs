using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.RateLimiting;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;

namespace Seldon.Batch.Dataflow;

/// <summary>Sends a request the way the run's failure rules say (docs/operations.md): transient failures retried with
/// backoff (Polly), outages waited out behind the shared <see cref="EndpointBreaker"/> and the request sent again, a
/// misconfiguration returned at once when nothing has answered yet. Only the send itself holds one of the
/// <c>--workers</c> slots: a request waiting for its retry or for the breaker holds none.</summary>
internal sealed partial class RequestDispatcher : IDisposable
{
    private static readonly ResiliencePropertyKey<Attempt> AttemptKey = new("seldon-batch.attempt");
    private static readonly TimeSpan OutageFirstDelay = TimeSpan.FromMilliseconds(25);
    private static readonly TimeSpan OutageLongestDelay = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan OverloadFirstDelay = TimeSpan.FromMilliseconds(50);

    private readonly IPredictionClient _inner;
    private readonly RetrySettings _settings;
    private readonly DispatchFlow _flow;
    private readonly RateLimiter? _pacer;
    private readonly ResiliencePipeline<PredictionResponse> _retry;
    private readonly ILogger _logger;
    private int _backingOff;

    // The span current when the block was made (a file run's): the parent of every attempt's span, carried here because
    // the workers' pool threads do not carry it themselves.
    private readonly ActivityContext _traceParent = Activity.Current?.Context ?? default;

    /// <param name="inner">The client requests go through; not disposed here (it belongs to the block's caller).</param>
    /// <param name="settings">Retries, pacing, worker bound and outage budget.</param>
    /// <param name="logger">Where retries and the breaker's state are logged.</param>
    /// <param name="time">The clock of the retries' delays, the breaker's breaks and the outage budget; the system's when
    /// null (a file run passes its own, which tests fake).</param>
    public RequestDispatcher(IPredictionClient inner, RetrySettings settings, ILogger logger, TimeProvider? time = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Attempts, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Workers, 1);
        _inner = inner;
        _settings = settings;
        _logger = logger;
        _flow = new DispatchFlow(settings, logger, time ?? TimeProvider.System, () => ConcurrencyChanged?.Invoke());
        time ??= TimeProvider.System;
        Breaker = new EndpointBreaker(settings, logger, time);
        RunInstruments.Breakers.Add(Breaker, Breaker.ReadState);
        if (settings.Interval > TimeSpan.Zero)
        {
            // Each worker may send once per interval: a bucket of one token per worker, refilled every interval.
            _pacer = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = settings.Workers,
                TokensPerPeriod = settings.Workers,
                ReplenishmentPeriod = settings.Interval,
                QueueLimit = int.MaxValue,
                QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
                AutoReplenishment = true,
            });
        }

        _retry = new ResiliencePipelineBuilder<PredictionResponse> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<PredictionResponse>
            {
                MaxRetryAttempts = int.MaxValue, // the attempt decides: transient ones are counted, outages are budgeted by time
                ShouldHandle = args => ValueTask.FromResult(args.Context.Properties.GetValue(AttemptKey, null!).ShouldTryAgain(args.Outcome)),
                DelayGenerator = args => ValueTask.FromResult<TimeSpan?>(args.Context.Properties.GetValue(AttemptKey, null!).NextDelay(args.Outcome)),
                OnRetry = args =>
                {
                    if (args.Outcome.Result?.Failure is { } failure)
                    {
                        LogRetry(_logger, args.Context.Properties.GetValue(AttemptKey, null!).Request.Puid, args.RetryDelay.TotalMilliseconds, failure.Detail);
                    }

                    return default;
                },
            })
            .Build();
    }

    /// <summary>The breaker shared by every request of this dispatcher.</summary>
    public EndpointBreaker Breaker { get; }

    /// <summary>The requests that can usefully be under way at once: the gate's slots (<c>--workers</c>, or where
    /// <c>--workers auto</c> has moved them) and the requests in backoff (waiting for a retry or for the breaker), which
    /// hold none. A caller that starts no more requests than this keeps the workers busy without any waiting for a slot.</summary>
    public int Concurrency => _flow.Limit + Volatile.Read(ref _backingOff);

    /// <summary>Told (on the thread of the change) after <see cref="Concurrency"/> may have moved: a request went into
    /// backoff or came out of it, or the adaptive limit moved.</summary>
    public Action? ConcurrencyChanged { get; set; }

    /// <summary>The requests that waited for a slot (for tests).</summary>
    internal long GateWaits => _flow.GateWaits;

    /// <summary>The batch id the spans of the attempts carry.</summary>
    public string BatchId { get; init; } = "";

    /// <summary>Sends <paramref name="request"/> until it has an answer that is final.</summary>
    /// <param name="request">The request.</param>
    /// <param name="order">Where its lines are in the input: the earliest waiting request gets the next free slot.</param>
    /// <param name="dispatch">Stops sending: a request not yet on the wire (waiting for a slot, a retry or the breaker)
    /// throws <see cref="OperationCanceledException"/> instead of being sent.</param>
    /// <param name="abort">Cancels the request on the wire.</param>
    /// <param name="retryTimeouts">False to give up on the first timeout (once the model has answered): a line sent alone
    /// after its micro-batch timed out on every attempt is judged by one more attempt, not by <c>--retries</c> again.
    /// Other failures are retried as always.</param>
    /// <param name="lines">The lines the request carries: what it costs against a rate in lines, and a tag of its attempts' spans.</param>
    /// <returns>The answer, and how long its last attempt was on the wire; a failure about the endpoint (outage,
    /// misconfiguration) means the request was not answered and waiting longer is not allowed.</returns>
    public ValueTask<Dispatched> SendAsync(PredictionRequest request, long order, CancellationToken dispatch, CancellationToken abort, bool retryTimeouts = true, int lines = 1) =>
        _pacer is null && !_flow.Paces && !Observed && Breaker.OnClosedPath
            ? SendDirectAsync(request, order, retryTimeouts, lines, dispatch, abort)
            : SendFirstAsync(request, order, retryTimeouts, lines, dispatch, abort);

    /// <summary>Whether the attempts are counted on the wire or traced (<see cref="Attempt"/>'s observed send).</summary>
    private static bool Observed => RunInstruments.InFlight.Enabled || BatchSpans.Enabled;

    /// <summary>The first send of <see cref="SendAsync"/> when nothing paces it and nothing observes it, and the circuit is
    /// on its closed path: the attempt's send (<see cref="Attempt.SendOnceAsync"/>) with nothing of its own around the
    /// client's call, no attempt made and no copy of the answer; an answer that is not final goes to the retry pipeline
    /// as its first outcome, as <see cref="SendFirstAsync"/> hands it. Tests hold it to the pipeline's way
    /// (RequestDispatcherFirstSendTests).</summary>
    // Once per request: its state machine is pooled; every caller awaits it once.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<Dispatched> SendDirectAsync(PredictionRequest request, long order, bool retryTimeouts, int lines, CancellationToken dispatch, CancellationToken abort)
    {
        var breaker = Breaker;
        await breaker.WaitWhileOpenAsync(Attempt.FirstBreak, dispatch).ConfigureAwait(false);
        var slot = await _flow.EnterAsync(order, dispatch).ConfigureAwait(false);
        PredictionResponse first;
        TimeSpan latency;
        try
        {
            dispatch.ThrowIfCancellationRequested(); // a stop decided while this request waited: it is not sent
            if (!breaker.OnClosedPath)
            {
                // An outage was seen while this request waited: the attempt's way, whose send Polly's breaker decides.
                slot.Dispose();
                slot = default;
                return await SendFirstAsync(request, order, retryTimeouts, lines, dispatch, abort).ConfigureAwait(false);
            }

            var epoch = _flow.Sent();
            var started = Stopwatch.GetTimestamp();
            try
            {
                // On the wire only the abort token counts: a stop lets the requests in flight finish.
                abort.ThrowIfCancellationRequested();
                first = await _inner.SendAsync(request, abort).ConfigureAwait(false);
            }
            catch (Exception)
            {
                await breaker.ClosedOutcomeAsync(null).ConfigureAwait(false);
                throw;
            }

            await breaker.ClosedOutcomeAsync(first).ConfigureAwait(false);
            latency = Answered(first, epoch, started);
        }
        finally
        {
            slot.Dispose();
        }

        if (IsFinal(first))
        {
            return new Dispatched(first, latency);
        }

        var attempt = new Attempt(this, request, order, retryTimeouts, lines, abort) { Latency = latency };
        attempt.Replay(Outcome.FromResult(first));
        return await RetryAsync(attempt, dispatch).ConfigureAwait(false);
    }

    /// <summary>The first send of <see cref="SendAsync"/> as an attempt: paced, observed, or through Polly's breaker.</summary>
    private async ValueTask<Dispatched> SendFirstAsync(PredictionRequest request, long order, bool retryTimeouts, int lines, CancellationToken dispatch, CancellationToken abort)
    {
        var attempt = new Attempt(this, request, order, retryTimeouts, lines, abort);

        // The first send goes straight to the breaker: an answer the retry pipeline would hand back as it is (a
        // prediction, or a refused line) skips Polly's retry strategy, its context and its state per request. Another
        // failure or an open circuit is given to the pipeline as its first outcome, so it decides, delays and logs
        // exactly as if it had sent the request itself; any other exception (a stop) is one the pipeline would rethrow.
        try
        {
            var first = await attempt.SendOnceAsync(dispatch).ConfigureAwait(false);
            if (IsFinal(first))
            {
                return new Dispatched(first, attempt.Latency);
            }

            attempt.Replay(Outcome.FromResult(first));
        }
        catch (BrokenCircuitException broken)
        {
            attempt.Replay(Outcome.FromException<PredictionResponse>(broken));
        }

        return await RetryAsync(attempt, dispatch).ConfigureAwait(false);
    }

    /// <summary>The general path <see cref="SendAsync"/> shortcuts: every attempt, the first too, made by the retry
    /// pipeline. Tests hold the shortcut to it (RequestDispatcherFirstSendTests).</summary>
    internal Task<Dispatched> SendThroughRetryAsync(PredictionRequest request, long order, CancellationToken dispatch, CancellationToken abort, bool retryTimeouts = true) =>
        RetryAsync(new Attempt(this, request, order, retryTimeouts, 1, abort), dispatch);

    /// <summary>Sends <paramref name="attempt"/> through the retry pipeline until its answer is final; a first outcome
    /// it was given (<see cref="Attempt.Replay"/>) is the pipeline's first attempt.</summary>
    private async Task<Dispatched> RetryAsync(Attempt attempt, CancellationToken dispatch)
    {
        var context = ResilienceContextPool.Shared.Get(dispatch);
        context.Properties.Set(AttemptKey, attempt);
        try
        {
            PredictionResponse response;
            if (attempt.HasReplay && dispatch.IsCancellationRequested)
            {
                // A stop decided while the first request was out: Polly runs no attempt once its token is cancelled, so
                // the first outcome is settled here as its retry would have settled it: tried again (which the stop
                // ends) or given up on.
                var outcome = attempt.TakeReplay();
                if (attempt.ShouldTryAgain(outcome))
                {
                    throw new OperationCanceledException(dispatch);
                }

                outcome.ThrowIfException();
                response = outcome.Result!;
            }
            else
            {
                response = await _retry.ExecuteAsync(static (ctx, a) => a.NextSendAsync(ctx.CancellationToken), context, attempt).ConfigureAwait(false);
            }

            if (attempt.GaveUp is { } reason)
            {
                return new Dispatched(GaveUp(reason, response.Failure, attempt.Retries), TimeSpan.Zero);
            }

            return new Dispatched(attempt.Retries > 0 ? response with { Retries = attempt.Retries } : response, attempt.Latency);
        }
        catch (BrokenCircuitException) when (attempt.GaveUp is { } reason)
        {
            // The circuit stayed open past the outage budget.
            return new Dispatched(GaveUp(reason, Breaker.LastOutage, attempt.Retries), TimeSpan.Zero);
        }
        finally
        {
            attempt.EndBackoff(); // given up, or stopped while waiting
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>What every send does with its answer once the breaker has counted it, on the direct way
    /// (<see cref="SendDirectAsync"/>) and an attempt's (<see cref="Attempt.SendOnceAsync"/>) alike: the breaker told
    /// whether the model was reached or an outage seen, the adaptive limit told how the request went.</summary>
    /// <returns>How long the send was on the wire, since <paramref name="started"/> (a <see cref="Stopwatch"/> timestamp).</returns>
    private TimeSpan Answered(PredictionResponse response, int epoch, long started)
    {
        Breaker.Observe(response);
        var latency = Stopwatch.GetElapsedTime(started);
        _flow.Answered(epoch, latency, response);
        return latency;
    }

    /// <summary>Whether the retry pipeline would return <paramref name="response"/> as it is on its first attempt, without
    /// asking anything more of the attempt (<see cref="Attempt.ShouldTryAgain"/> gives up on these without a side effect).</summary>
    internal static bool IsFinal(PredictionResponse response) =>
        response.Failure is null || response.Failure.Kind == PredictionFailureKind.Line;

    /// <summary>Whether <paramref name="failure"/> is a timeout: a transient failure without an answer from the server
    /// (REST's timeout, gRPC's DeadlineExceeded; a failed connection is an outage).</summary>
    internal static bool IsTimeout(PredictionFailure failure) =>
        failure.Kind == PredictionFailureKind.Transient && !failure.ReachedServer;

    /// <summary>An outage that lasted past its budget: not answered, with why waiting ended and the last failure seen.</summary>
    private static PredictionResponse GaveUp(string reason, PredictionFailure? last, int retries)
    {
        var detail = $"{reason}; the last failure: {last?.Detail ?? "the circuit stayed open"}";
        return new PredictionResponse
        {
            Code = last?.Status ?? 0,
            Retries = retries,
            Failure = new PredictionFailure(PredictionFailureKind.Outage, last?.Status ?? 0, detail) { ReachedServer = false },
        };
    }

    private void BackoffMoved(int by)
    {
        Interlocked.Add(ref _backingOff, by);
        ConcurrencyChanged?.Invoke();
    }

    /// <inheritdoc />
    public void Dispose()
    {
        RunInstruments.Breakers.Remove(Breaker);
        _pacer?.Dispose();
        _flow.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Request {Puid}: trying again in {Delay:0} ms after: {Reason}")]
    private static partial void LogRetry(ILogger logger, string puid, double delay, string reason);

    /// <summary>One request's way through retries and outages.</summary>
    private sealed class Attempt(RequestDispatcher owner, PredictionRequest request, long order, bool retryTimeouts, int lines, CancellationToken abort)
    {
        /// <summary>The longest a request waits for the breaker at once: before its first attempt, and after an attempt
        /// the open circuit refused (less when the breaker says its break ends sooner).</summary>
        public static readonly TimeSpan FirstBreak = TimeSpan.FromSeconds(1);

        private int _transientRetries;
        private int _outageRetries;
        private int _overloadRetries;
        private long _failingSince = -1;
        private TimeSpan _breakLeft = FirstBreak;
        private Outcome<PredictionResponse>? _replay;
        private int _onWire;
        private Activity? _span;
        private bool _inFlight;
        private bool _inBackoff;

        public PredictionRequest Request => request;

        /// <summary>The lines the request carries.</summary>
        public int Lines => lines;

        /// <summary>How long the last send was on the wire.</summary>
        public TimeSpan Latency { get; set; }

        /// <summary>Requests sent beyond the first.</summary>
        public int Retries { get; private set; }

        /// <summary>Why the outage budget ended the waiting; null while it lasts.</summary>
        public string? GaveUp { get; private set; }

        /// <summary>The pipeline's send: the outcome of the first send made before it, once, then real sends.</summary>
        public ValueTask<PredictionResponse> NextSendAsync(CancellationToken dispatch)
        {
            if (_replay is { } replay)
            {
                _replay = null;
                return replay.Exception is { } broken ? ValueTask.FromException<PredictionResponse>(broken) : ValueTask.FromResult(replay.Result!);
            }

            return SendOnceAsync(dispatch);
        }

        /// <summary>Hands the outcome of the first send (an answer, or an open circuit) to the pipeline's first attempt.</summary>
        public void Replay(Outcome<PredictionResponse> first) => _replay = first;

        /// <summary>Whether an outcome waits for the pipeline's first attempt.</summary>
        public bool HasReplay => _replay is not null;

        /// <summary>The outcome <see cref="Replay"/> was given, taken back.</summary>
        public Outcome<PredictionResponse> TakeReplay()
        {
            var first = _replay!.Value;
            _replay = null;
            return first;
        }

        public async ValueTask<PredictionResponse> SendOnceAsync(CancellationToken dispatch)
        {
            var breaker = owner.Breaker;
            await breaker.WaitWhileOpenAsync(_breakLeft, dispatch).ConfigureAwait(false);
            using var slot = await owner._flow.EnterAsync(order, dispatch).ConfigureAwait(false);
            EndBackoff();
            dispatch.ThrowIfCancellationRequested(); // a stop decided while this request waited: it is not sent
            if (owner._pacer is not null)
            {
                using var lease = await owner._pacer.AcquireAsync(1, dispatch).ConfigureAwait(false);
            }

            await owner._flow.PaceAsync(lines, dispatch).ConfigureAwait(false); // --max-rate, every attempt
            var epoch = owner._flow.Sent();

            // On the wire only the abort token counts: a stop lets the requests in flight finish.
            var started = Stopwatch.GetTimestamp();
            // A first send neither paced nor observed takes SendDirectAsync's way, which inlines the breaker's closed path.
            var response = Observed
                ? await SendObservedAsync(breaker).ConfigureAwait(false)
                : await breaker.ExecuteAsync(
                    static (s, ct) => new ValueTask<PredictionResponse>(s.Client.SendAsync(s.Request, ct)), (Client: owner._inner, Request: request), abort).ConfigureAwait(false);
            Latency = owner.Answered(response, epoch, started);
            return response;
        }

        /// <summary>The send of <see cref="SendOnceAsync"/> while something listens: counted on the wire and in a span of
        /// its own (whose trace context the transport sends), from when the breaker lets it through to its answer.</summary>
        private async ValueTask<PredictionResponse> SendObservedAsync(EndpointBreaker breaker)
        {
            PredictionResponse response;
            try
            {
                response = await breaker.ExecuteAsync(static (a, ct) => new ValueTask<PredictionResponse>(a.GoOnWire(ct)), this, abort).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                EndCall(null, ex);
                throw;
            }

            EndCall(response, null);
            return response;
        }

        /// <summary>The attempt, let through by the breaker: on the wire now.</summary>
        private Task<PredictionResponse> GoOnWire(CancellationToken ct)
        {
            _onWire++;
            _span = BatchSpans.Enabled ? BatchSpans.StartRequest(owner._traceParent, owner.BatchId, request.Puid, order, Lines, _onWire) : null;
            _inFlight = RunInstruments.InFlight.Enabled;
            if (_inFlight)
            {
                RunInstruments.InFlight.Add(1);
            }

            // The span is current here, so it flows into the client's call, whose transport sends its trace context.
            return owner._inner.SendAsync(request, ct);
        }

        /// <summary>Ends what <see cref="GoOnWire"/> began, if the breaker let the attempt through.</summary>
        private void EndCall(PredictionResponse? response, Exception? error)
        {
            if (_inFlight)
            {
                _inFlight = false;
                RunInstruments.InFlight.Add(-1);
            }

            if (_span is { } span)
            {
                _span = null;
                if (response is not null)
                {
                    BatchSpans.StopRequest(span, response.Code, response.Failure is { } failure ? SettingNames.ValueOf(failure.Kind) : null, response.Failure?.Detail);
                }
                else
                {
                    BatchSpans.StopRequest(span, error!);
                }
            }
        }

        public bool ShouldTryAgain(Outcome<PredictionResponse> outcome)
        {
            var breaker = owner.Breaker;
            if (outcome.Exception is BrokenCircuitException broken)
            {
                // Nothing was sent: wait for the breaker again (until it closes, or its break is over and this request
                // may be the probe), unless the outage has lasted too long.
                _breakLeft = broken.RetryAfter is { } left && left > TimeSpan.Zero && left < FirstBreak ? left : FirstBreak;
                if (!KeepWaiting(breaker))
                {
                    return false;
                }

                BeginBackoff();
                return true;
            }

            if (outcome.Result?.Failure is not { } failure || failure.Kind == PredictionFailureKind.Line)
            {
                return false;
            }

            bool again;
            if (breaker.CountsAsOutage(failure) || IsWaitedOverload(failure))
            {
                again = KeepWaiting(breaker);
            }
            else if (failure.Kind == PredictionFailureKind.Misconfiguration && !breaker.ModelReached)
            {
                again = false; // the first answers say the endpoint is wrong: stop now, retrying will not fix it
            }
            else if (!retryTimeouts && breaker.ModelReached && IsTimeout(failure))
            {
                again = false; // one attempt, asked for by the caller (a line of a timed-out micro-batch, sent alone)
            }
            else if (_transientRetries < owner._settings.Attempts - 1)
            {
                _transientRetries++;
                again = true;
            }
            else
            {
                // Retries spent. Before anything has answered, a request that still gets no answer is part of the
                // "is the model there at all" wait; afterwards its lines are error records (transient) or the run stops.
                again = !breaker.ModelReached && failure.Kind == PredictionFailureKind.Transient && KeepWaiting(breaker);
            }

            if (again)
            {
                Retries++;
                BeginBackoff();
            }

            return again;
        }

        /// <summary>Counts this request as waiting without a slot (for its retry's delay, the breaker, then a slot) until
        /// it holds one again or ends: a request more may run meanwhile (<see cref="Concurrency"/>).</summary>
        private void BeginBackoff()
        {
            if (!_inBackoff)
            {
                _inBackoff = true;
                owner.BackoffMoved(1);
            }
        }

        /// <summary>Ends what <see cref="BeginBackoff"/> began, if it did.</summary>
        public void EndBackoff()
        {
            if (_inBackoff)
            {
                _inBackoff = false;
                owner.BackoffMoved(-1);
            }
        }

        public TimeSpan NextDelay(Outcome<PredictionResponse> outcome)
        {
            if (outcome.Exception is BrokenCircuitException)
            {
                return TimeSpan.Zero; // the breaker's gate does the waiting
            }

            if (outcome.Result?.Failure is { } overload && IsWaitedOverload(overload))
            {
                // The adaptive limit has just backed off: try again after a short, growing pause, not a --retries one.
                return Backoff(OverloadFirstDelay, ++_overloadRetries, OutageLongestDelay);
            }

            if (outcome.Result?.Failure is { } failure && owner.Breaker.CountsAsOutage(failure))
            {
                // A lone 503 or reset is usually gone at once, and the lines after this one wait for it: sent again at
                // once, then after short, growing pauses. A real outage opens the breaker, which then holds the request.
                return ++_outageRetries == 1 ? TimeSpan.Zero : Backoff(OutageFirstDelay, _outageRetries - 1, OutageLongestDelay);
            }

            return Backoff(owner._settings.BaseDelay, _transientRetries, owner._settings.MaxDelay);
        }

        /// <summary>Whether <paramref name="failure"/> is a 429 (gRPC ResourceExhausted) that <c>--workers auto</c> answers
        /// by backing off: retried without spending <c>--retries</c>, as long as the outage budget lasts, since the
        /// lower limit is what lets it through (a line must not fail because the limiter was probing).</summary>
        private bool IsWaitedOverload(PredictionFailure failure) =>
            owner._flow.Adaptive is not null && failure.Kind == PredictionFailureKind.Transient && !IsTimeout(failure) && AdaptiveLimit.IsOverload(failure);

        /// <summary>Exponential backoff with jitter: first × 2^(n-1), ±25 %, at most <paramref name="longest"/>.</summary>
        private static TimeSpan Backoff(TimeSpan first, int retry, TimeSpan longest)
        {
            var exponential = first.TotalMilliseconds * Math.Pow(2, Math.Max(0, retry - 1));
            var jittered = exponential * (0.75 + (Random.Shared.NextDouble() * 0.5));
            return TimeSpan.FromMilliseconds(Math.Min(jittered, longest.TotalMilliseconds));
        }

        private bool KeepWaiting(EndpointBreaker breaker)
        {
            if (_failingSince < 0)
            {
                _failingSince = breaker.Now;
            }

            GaveUp = breaker.OutageBudgetSpent(_failingSince);
            return GaveUp is null;
        }
    }
}
