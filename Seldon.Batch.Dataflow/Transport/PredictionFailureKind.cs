namespace Seldon.Batch.Dataflow;

/// <summary>What a failed request says about the line, the model or the endpoint, which decides what the run does
/// with it (see <c>docs/operations.md</c>).</summary>
public enum PredictionFailureKind
{
    /// <summary>The model refused the lines it was sent (HTTP 400/422, a 500 with a Seldon model error body, gRPC
    /// InvalidArgument or an Internal error from the model): an error record for each line it refuses.</summary>
    Line,

    /// <summary>Trying again may succeed (HTTP 429, 408, a 500 without a model body, one request timed out, gRPC
    /// DeadlineExceeded, ResourceExhausted, Aborted): retried with backoff up to <c>--retries</c> attempts.</summary>
    Transient,

    /// <summary>The endpoint is down (connection refused or reset, a name that does not resolve, HTTP 502/503/504 from a
    /// gateway, gRPC Unavailable): the run pauses and waits for the model, bounded by <c>--max-outage</c>.</summary>
    Outage,

    /// <summary>Waiting will not help (HTTP 404, 405, 401, 403, a TLS failure, an answer that is not the protocol at all,
    /// gRPC Unimplemented, Unauthenticated, PermissionDenied, NotFound): the run stops.</summary>
    Misconfiguration,
}
