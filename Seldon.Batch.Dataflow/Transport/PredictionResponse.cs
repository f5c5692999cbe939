namespace Seldon.Batch.Dataflow.Transport;

/// <summary>The outcome of a request: the model's answer, or why there is none.</summary>
public sealed record PredictionResponse
{
    /// <summary>The answer body (JSON) when the model answered with success.</summary>
    public string? Body { get; init; }

    /// <summary>HTTP status or gRPC status code; 0 when no answer arrived at all (refused, reset, timed out).</summary>
    public int Code { get; init; }

    /// <summary>Why the request failed, never empty on failure; null on success.</summary>
    public string? Failure { get; init; }

    /// <summary>Whether trying again may succeed (connection failures, timeouts, 5xx, 429, gRPC Unavailable…).</summary>
    public bool IsTransient { get; init; }

    /// <summary>False when no answer came from the server at all: refused, reset, unresolvable, timed out.
    /// A run whose requests all fail this way is stopped as unreachable instead of writing a file of errors.</summary>
    public bool ReachedServer { get; init; } = true;

    /// <summary>Attempts made beyond the first.</summary>
    public int Retries { get; init; }

    /// <summary>Whether the model answered with success.</summary>
    public bool IsSuccess => Failure is null;

    /// <summary>A successful answer.</summary>
    public static PredictionResponse Success(string body, int code) => new() { Body = body, Code = code };

    /// <summary>A failed request.</summary>
    public static PredictionResponse Failed(int code, string failure, bool transient) =>
        new() { Code = code, Failure = failure, IsTransient = transient };

    /// <summary>A request that got no answer from the server (always transient).</summary>
    public static PredictionResponse Unanswered(int code, string failure) =>
        new() { Code = code, Failure = failure, IsTransient = true, ReachedServer = false };
}
