namespace Seldon.Batch.Dataflow;

/// <summary>How often and how patiently a request is tried: the dispatcher's share of
/// <see cref="PredictionBlockOptions"/>.</summary>
internal sealed record RetrySettings
{
    /// <summary>Attempts per request for transient failures, the first included (<c>--retries</c>); at least 1.</summary>
    public int Attempts { get; init; } = 3;

    /// <summary>The first backoff delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest backoff delay.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Minimum time between two requests of one worker (<c>--batch-interval</c>); zero for none.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.Zero;

    /// <summary>Requests in flight at once (<c>--workers</c>); also the pacing's share per interval.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>The moving limit of <c>--workers auto</c> in place of <see cref="Workers"/>; null for a fixed one.</summary>
    public AdaptiveConcurrency? Adaptive { get; init; }

    /// <summary>The most requests (or lines) per second (<c>--max-rate</c>); null for no limit.</summary>
    public RequestRate? MaxRate { get; init; }

    /// <summary>How long an outage of a model that has answered before is waited out (<c>--max-outage</c>) before the
    /// request is given up as not answered.</summary>
    public TimeSpan MaxOutage { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>How long the model may take to answer its first request (<c>--wait-ready</c>); zero waits only a few
    /// seconds, so a wrong host stops the run quickly.</summary>
    public TimeSpan WaitReady { get; init; } = TimeSpan.Zero;
}
