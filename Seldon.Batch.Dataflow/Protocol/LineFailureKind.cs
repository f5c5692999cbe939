namespace Seldon.Batch.Dataflow;

/// <summary>Why a line's output is an error record rather than a prediction. Only failures about the line itself become
/// error records: an outage or a misconfiguration (a wrong route, refused credentials) never does, it pauses or stops the
/// run (see <see cref="PredictionFailureKind"/>).</summary>
public enum LineFailureKind
{
    /// <summary>The line could not be made into a request and was never sent: it is blank, not JSON, or not of the shape
    /// the data type asks for. The record's status is 400. Fix the line; sending it again cannot help.</summary>
    InvalidLine,

    /// <summary>The line was never sent because the client failed to encode it (a defect of the client, not a fault of the
    /// line; the reason says what failed). The record's status is 400.</summary>
    NotSent,

    /// <summary>The model refused the request (HTTP 400, 422 or another 4xx about the request, a 500 with a Seldon status
    /// body, an answer whose Seldon status says FAILURE; gRPC InvalidArgument, Internal, Unknown, OutOfRange,
    /// FailedPrecondition, a message too large), after the line was sent alone. The status is the model's.</summary>
    Refused,

    /// <summary>No answer came within the timeout, the line alone having been given one attempt more after its
    /// micro-batch timed out. The status is 0 over REST, gRPC DeadlineExceeded (4) over gRPC.</summary>
    TimedOut,

    /// <summary>Every attempt failed in a way that may pass (HTTP 429, 408, a 5xx without a Seldon status; gRPC
    /// ResourceExhausted, Aborted, Cancelled): the load of the server rather than the line. Sending the line again later
    /// may succeed.</summary>
    RetriesExhausted,

    /// <summary>The model answered with success, but its answer cannot be made into this line's output: it is not JSON,
    /// not an object, or cannot be split into the lines of the micro-batch. The record's status is 502.</summary>
    UnusableAnswer,
}
