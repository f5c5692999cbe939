namespace Seldon.Batch.Dataflow;

/// <summary>Makes the library's results for tests and fakes: the block and the run make them read-only, with no public
/// constructor, so that code which receives them can trust them; this is the one way to make one by hand (a
/// stand-in for <see cref="PredictionBlock"/> in an application's tests, a fake progress report, a summary to print).
/// Every property is a parameter, with a default.</summary>
public static class BatchModelFactory
{
    /// <summary>An output line's result.</summary>
    /// <param name="index">The input line's 0-based position.</param>
    /// <param name="line">The JSON output line; empty when not given.</param>
    /// <param name="failure">Why the line failed; null for a prediction.</param>
    /// <param name="prediction">The model's answer as UTF-8 JSON, as <see cref="Dataflow.InstanceResult.Prediction"/>
    /// describes it; nothing is checked against <paramref name="line"/>.</param>
    public static InstanceResult InstanceResult(long index = 0, string? line = null, LineFailure? failure = null, ReadOnlyMemory<byte> prediction = default) =>
        new(index, line ?? string.Empty, failure, prediction);

    /// <summary>Why a line failed. Its <see cref="Dataflow.LineFailure.Category"/> is the start of
    /// <paramref name="reason"/>, as for the block's failures.</summary>
    /// <param name="index">The input line's 0-based position.</param>
    /// <param name="kind">What the failure is about.</param>
    /// <param name="status">The HTTP status or gRPC code the error record holds.</param>
    /// <param name="reason">The reason the error record holds; "unknown failure" when not given.</param>
    public static LineFailure LineFailure(long index = 0, LineFailureKind kind = LineFailureKind.InvalidLine, int status = 0, string? reason = null) =>
        new(index, kind, status, string.IsNullOrWhiteSpace(reason) ? "unknown failure" : reason);

    /// <summary>An item of the caller's with its result.</summary>
    /// <typeparam name="TItem">The caller's type.</typeparam>
    /// <param name="item">The caller's item.</param>
    /// <param name="result">The output for the item's line.</param>
    public static PredictionResult<TItem> PredictionResult<TItem>(TItem item = default!, InstanceResult result = default) => new(item, result);

    /// <summary>What a file run did.</summary>
    /// <param name="outcome">How the run ended.</param>
    /// <param name="stopReason">Why it stopped or was interrupted.</param>
    /// <param name="instances">Input lines the run processed.</param>
    /// <param name="resumedLines">Lines kept from an interrupted run.</param>
    /// <param name="succeeded">Predictions in the output.</param>
    /// <param name="failed">Error records in the output.</param>
    /// <param name="retriedLines">Error records sent again.</param>
    /// <param name="fixedLines">Lines sent again that are now predictions.</param>
    /// <param name="failuresByKind">Error records by category; none when not given.</param>
    /// <param name="retries">Attempts beyond the first.</param>
    /// <param name="requests">Requests sent.</param>
    /// <param name="elapsed">Wall-clock time of the run.</param>
    /// <param name="latencyP50">Median request time.</param>
    /// <param name="latencyP95">95th percentile of the request time.</param>
    /// <param name="latencyP99">99th percentile of the request time.</param>
    /// <param name="outputPath">Where the output is.</param>
    public static RunSummary RunSummary(
        RunOutcome outcome = RunOutcome.Completed,
        string? stopReason = null,
        long instances = 0,
        long resumedLines = 0,
        long succeeded = 0,
        long failed = 0,
        long retriedLines = 0,
        long fixedLines = 0,
        IReadOnlyDictionary<string, long>? failuresByKind = null,
        long retries = 0,
        long requests = 0,
        TimeSpan elapsed = default,
        TimeSpan latencyP50 = default,
        TimeSpan latencyP95 = default,
        TimeSpan latencyP99 = default,
        string? outputPath = null) => new()
        {
            Outcome = outcome,
            StopReason = stopReason,
            Instances = instances,
            ResumedLines = resumedLines,
            Succeeded = succeeded,
            Failed = failed,
            RetriedLines = retriedLines,
            FixedLines = fixedLines,
            FailuresByKind = failuresByKind ?? new Dictionary<string, long>(),
            Retries = retries,
            Requests = requests,
            Elapsed = elapsed,
            LatencyP50 = latencyP50,
            LatencyP95 = latencyP95,
            LatencyP99 = latencyP99,
            OutputPath = outputPath,
        };

    /// <summary>Where a file run is.</summary>
    /// <param name="linesWritten">Output lines written so far.</param>
    /// <param name="failed">Error records among them.</param>
    /// <param name="fraction">Share of the work written, 0 to 1.</param>
    /// <param name="elapsed">Time since the run started.</param>
    /// <param name="linesPerSecond">Lines written per second lately.</param>
    public static RunProgress RunProgress(long linesWritten = 0, long failed = 0, double fraction = 0, TimeSpan elapsed = default, double linesPerSecond = 0) =>
        new(linesWritten, failed, fraction, elapsed, linesPerSecond);

    /// <summary>Why a request got no usable answer. A client returns one through <see cref="Dataflow.PredictionResponse.Failed"/>
    /// or <see cref="Dataflow.PredictionResponse.Unanswered"/>.</summary>
    /// <param name="kind">What the failure is about.</param>
    /// <param name="status">The HTTP status or gRPC code; 0 when no answer arrived.</param>
    /// <param name="detail">The reason; "unknown failure" when not given.</param>
    /// <param name="reachedServer">Whether the server answered at all.</param>
    public static PredictionFailure PredictionFailure(PredictionFailureKind kind = PredictionFailureKind.Line, int status = 0, string? detail = null, bool reachedServer = true) =>
        new(kind, status, string.IsNullOrWhiteSpace(detail) ? "unknown failure" : detail) { ReachedServer = reachedServer };

    /// <summary>The outcome of a request. A client returns one through <see cref="Dataflow.PredictionResponse.Success"/>,
    /// <see cref="Dataflow.PredictionResponse.Failed"/> or <see cref="Dataflow.PredictionResponse.Unanswered"/>.</summary>
    /// <param name="body">The answer body when the model answered with success.</param>
    /// <param name="code">The HTTP status or gRPC code.</param>
    /// <param name="failure">Why the request failed; null on success.</param>
    /// <param name="retries">Attempts made beyond the first.</param>
    public static PredictionResponse PredictionResponse(string? body = null, int code = 0, PredictionFailure? failure = null, int retries = 0) =>
        new() { Body = body, Code = code, Failure = failure, Retries = retries };
}
