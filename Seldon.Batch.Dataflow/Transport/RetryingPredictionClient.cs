using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Seldon.Batch.Dataflow.Transport;

/// <summary>A client that applies the run's failure rules to every request: transient failures retried with
/// exponential backoff and jitter (Polly), outages waited out behind a breaker shared by all callers (bounded by
/// <see cref="RetrySettings.MaxOutage"/>), at most <see cref="RetrySettings.Workers"/> requests on the wire, and the
/// pacing of <see cref="RetrySettings.Interval"/>. <see cref="Pipeline.PredictionBlock"/> applies the same rules to a
/// client of this type's inner client, with the block's own settings.</summary>
public sealed class RetryingPredictionClient : IPredictionClient
{
    private readonly RequestDispatcher _dispatcher;
    private long _sequence;

    /// <summary>Wraps <paramref name="inner"/>; the wrapper owns it.</summary>
    public RetryingPredictionClient(IPredictionClient inner, RetrySettings settings)
        : this(inner, settings, NullLogger.Instance)
    {
    }

    /// <summary>Wraps <paramref name="inner"/>, logging retries and the breaker's state to <paramref name="logger"/>.</summary>
    public RetryingPredictionClient(IPredictionClient inner, RetrySettings settings, ILogger logger)
    {
        Inner = inner;
        _dispatcher = new RequestDispatcher(inner, settings, logger, ownsInner: true);
    }

    /// <summary>The client requests go through.</summary>
    internal IPredictionClient Inner { get; }

    /// <inheritdoc />
    public Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken) =>
        _dispatcher.SendAsync(request, Interlocked.Increment(ref _sequence), cancellationToken, cancellationToken);

    /// <inheritdoc />
    public void Dispose() => _dispatcher.Dispose();
}
