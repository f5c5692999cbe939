namespace Seldon.Batch.Dataflow;

/// <summary>The outcome of a request: the model's answer, or why there is none. A client makes one with
/// <see cref="Success"/>, <see cref="Failed"/> or <see cref="Unanswered"/>; tests may use
/// <see cref="BatchModelFactory.PredictionResponse"/>.</summary>
public sealed record PredictionResponse
{
    internal PredictionResponse()
    {
    }

    /// <summary>The answer body (JSON) when the model answered with success.</summary>
    public string? Body { get; internal init; }

    /// <summary>HTTP status or gRPC status code; 0 when no answer arrived at all (refused, reset, timed out).</summary>
    public int Code { get; internal init; }

    /// <summary>Why the request failed; null on success.</summary>
    public PredictionFailure? Failure { get; internal init; }

    /// <summary>Attempts made beyond the first (retries of transient failures and re-sends after an outage).</summary>
    public int Retries { get; internal init; }

    /// <summary>How long the last attempt was on the wire (waits for a slot, a retry or the breaker excluded).</summary>
    internal TimeSpan Latency { get; init; }

    /// <summary>Whether the model answered with success.</summary>
    public bool IsSuccess => Failure is null;

    /// <summary>A successful answer.</summary>
    public static PredictionResponse Success(string body, int code) => new() { Body = body, Code = code };

    /// <summary>A failed request.</summary>
    public static PredictionResponse Failed(PredictionFailureKind kind, int code, string detail) =>
        new() { Code = code, Failure = new PredictionFailure(kind, code, detail) };

    /// <summary>A request that got no answer from the server at all (refused, reset, unresolvable, timed out).</summary>
    public static PredictionResponse Unanswered(PredictionFailureKind kind, int code, string detail) =>
        new() { Code = code, Failure = new PredictionFailure(kind, code, detail) { ReachedServer = false } };
}
