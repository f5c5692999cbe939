namespace Seldon.Batch.Dataflow.Transport;

/// <summary>How often and how patiently a request is tried.</summary>
public sealed record RetrySettings
{
    /// <summary>Attempts per request, the first included (<c>--retries</c>); at least 1.</summary>
    public int Attempts { get; init; } = 3;

    /// <summary>The first backoff delay; later ones grow exponentially, with jitter.</summary>
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>The longest backoff delay.</summary>
    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Minimum time between two requests of one worker (<c>--batch-interval</c>); zero for none.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.Zero;

    /// <summary>Workers sharing the client, for pacing.</summary>
    public int Workers { get; init; } = 1;
}
