using System.Threading.RateLimiting;
using Polly;
using Polly.Retry;

namespace Seldon.Batch.Dataflow.Transport;

/// <summary>Tries a request again while its failure is transient, with exponential backoff and jitter
/// (Polly), and paces attempts so each worker waits at least the batch interval between two requests.</summary>
public sealed class RetryingPredictionClient : IPredictionClient
{
    private readonly IPredictionClient _inner;
    private readonly ResiliencePipeline<PredictionResponse> _pipeline;
    private readonly RateLimiter? _pacer;

    /// <summary>Wraps <paramref name="inner"/>; the wrapper owns it.</summary>
    public RetryingPredictionClient(IPredictionClient inner, RetrySettings settings)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.Attempts, 1);
        _inner = inner;
        var builder = new ResiliencePipelineBuilder<PredictionResponse>();
        if (settings.Attempts > 1)
        {
            builder.AddRetry(new RetryStrategyOptions<PredictionResponse>
            {
                MaxRetryAttempts = settings.Attempts - 1,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = settings.BaseDelay,
                MaxDelay = settings.MaxDelay,
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Result?.IsTransient == true),
            });
        }

        _pipeline = builder.Build();
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
    }

    /// <summary>The client tried, for what only it can do (<see cref="IModelInspector"/>).</summary>
    internal IPredictionClient Inner => _inner;

    /// <inheritdoc />
    public async Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
    {
        var attempts = 0;
        var response = await _pipeline.ExecuteAsync(
            async ct =>
            {
                attempts++;
                if (_pacer is not null)
                {
                    using var lease = await _pacer.AcquireAsync(1, ct).ConfigureAwait(false);
                }

                return await _inner.SendAsync(request, ct).ConfigureAwait(false);
            },
            cancellationToken).ConfigureAwait(false);
        return attempts > 1 ? response with { Retries = attempts - 1 } : response;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        _pacer?.Dispose();
        _inner.Dispose();
    }
}
