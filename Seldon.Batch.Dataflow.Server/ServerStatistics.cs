namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// What a <see cref="DemoModelServer"/> has seen since it started; safe to read while it serves.
/// </summary>
/// <remarks>
/// Tests use these counts to check client behaviour from the server's side, for example that an answer
/// 400 was not retried. Counts are updated when a request arrives, before its answer is sent, so a client
/// that has received an answer sees its request counted.
/// </remarks>
public sealed class ServerStatistics
{
    private long _requests;
    private long _predictRequests;
    private long _feedbackRequests;
    private long _injectedFailures;
    private long _droppedConnections;
    private long _badRequests;
    private long _unauthorized;
    private long _unknownRoutes;
    private long _gzipAnswers;
    private long _slowRequests;
    private IReadOnlyDictionary<string, string> _lastHeaders = new Dictionary<string, string>();

    /// <summary>All prediction and feedback requests received, REST and gRPC.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Prediction requests received, REST and gRPC.</summary>
    public long PredictRequests => Interlocked.Read(ref _predictRequests);

    /// <summary>Feedback requests received, REST and gRPC.</summary>
    public long FeedbackRequests => Interlocked.Read(ref _feedbackRequests);

    /// <summary>Requests answered with an injected failure.</summary>
    public long InjectedFailures => Interlocked.Read(ref _injectedFailures);

    /// <summary>Requests whose connection (REST) or stream (gRPC) was aborted on purpose.</summary>
    public long DroppedConnections => Interlocked.Read(ref _droppedConnections);

    /// <summary>Requests rejected as bad data: HTTP 400 over REST, InvalidArgument over gRPC (injected failures not included).</summary>
    public long BadRequests => Interlocked.Read(ref _badRequests);

    /// <summary>Requests held back for <see cref="ServeOptions.SlowDelayMs"/> because a row holds <see cref="ServeOptions.SlowValue"/>.</summary>
    public long SlowRequests => Interlocked.Read(ref _slowRequests);

    /// <summary>Requests refused for a missing or wrong token (401, gRPC Unauthenticated).</summary>
    public long Unauthorized => Interlocked.Read(ref _unauthorized);

    /// <summary>Requests answered 404 because they named another deployment than <see cref="ServeOptions.Deployment"/>.</summary>
    public long UnknownRoutes => Interlocked.Read(ref _unknownRoutes);

    /// <summary>
    /// The Seldon headers of the last request (REST headers or gRPC metadata, names in lower case):
    /// <c>seldon-puid</c>, <c>seldon</c>, <c>namespace</c>, <c>x-auth-token</c>, <c>content-type</c>, <c>traceparent</c>,
    /// <c>tracestate</c>…, when present.
    /// </summary>
    public IReadOnlyDictionary<string, string> LastHeaders => Volatile.Read(ref _lastHeaders);

    /// <summary>Open Inference answers sent gzip-compressed (REST, asked for with <c>Accept-Encoding: gzip</c>).</summary>
    public long GzipAnswers => Interlocked.Read(ref _gzipAnswers);

    /// <summary>Distinct HTTP/2 connections gRPC calls arrived on.</summary>
    public int GrpcConnections => _grpcConnections.Count;

    /// <summary>The most gRPC calls in the server at once (from arrival to answer).</summary>
    public int MaxConcurrentGrpcCalls => Volatile.Read(ref _maxConcurrentGrpcCalls);

    /// <inheritdoc />
    public override string ToString() =>
        $"requests={Requests} predict={PredictRequests} feedback={FeedbackRequests} injectedFailures={InjectedFailures} " +
        $"dropped={DroppedConnections} badRequests={BadRequests}";

    /// <summary>Counts an arriving request and returns its number, starting at 1.</summary>
    internal long CountRequest(SeldonMethod method)
    {
        Interlocked.Increment(ref method == SeldonMethod.Predict ? ref _predictRequests : ref _feedbackRequests);
        return Interlocked.Increment(ref _requests);
    }

    internal void CountInjectedFailure() => Interlocked.Increment(ref _injectedFailures);

    internal void CountDroppedConnection() => Interlocked.Increment(ref _droppedConnections);

    internal void CountBadRequest() => Interlocked.Increment(ref _badRequests);

    internal void CountSlowRequest() => Interlocked.Increment(ref _slowRequests);

    internal void CountGzipAnswer() => Interlocked.Increment(ref _gzipAnswers);

    internal void CountUnauthorized() => Interlocked.Increment(ref _unauthorized);

    internal void CountUnknownRoute() => Interlocked.Increment(ref _unknownRoutes);

    /// <summary>Notes a gRPC call arriving on <paramref name="connectionId"/>; dispose the result when it is answered.</summary>
    internal GrpcCallScope EnterGrpcCall(string connectionId)
    {
        _grpcConnections.TryAdd(connectionId, 0);
        var now = Interlocked.Increment(ref _concurrentGrpcCalls);
        for (var max = Volatile.Read(ref _maxConcurrentGrpcCalls); now > max; max = Volatile.Read(ref _maxConcurrentGrpcCalls))
        {
            if (Interlocked.CompareExchange(ref _maxConcurrentGrpcCalls, now, max) == max)
            {
                break;
            }
        }

        return new GrpcCallScope(this);
    }

    /// <summary>Ends a call noted by <see cref="EnterGrpcCall"/>.</summary>
    internal readonly struct GrpcCallScope(ServerStatistics statistics) : IDisposable
    {
        public void Dispose() => Interlocked.Decrement(ref statistics._concurrentGrpcCalls);
    }

    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte> _grpcConnections = new(StringComparer.Ordinal);
    private int _concurrentGrpcCalls;
    private int _maxConcurrentGrpcCalls;

    /// <summary>How many <see cref="TraceParents"/> are kept.</summary>
    public const int TraceParentsKept = 4096;

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _traceParents = new();
    private long _tracedRequests;

    /// <summary>
    /// The W3C <c>traceparent</c> of the last <see cref="TraceParentsKept"/> requests that carried one (REST header or gRPC
    /// metadata, Seldon and Open Inference), in the order they arrived: what a client that traces tells its model server.
    /// </summary>
    public IReadOnlyList<string> TraceParents => [.. _traceParents];

    /// <summary>Prediction and feedback requests that carried a <c>traceparent</c>.</summary>
    public long TracedRequests => Interlocked.Read(ref _tracedRequests);

    /// <summary>Keeps the headers a client is expected to send, read through <paramref name="header"/>.</summary>
    internal void RecordHeaders(Func<string, string?> header)
    {
        if (header("traceparent") is { Length: > 0 } traceParent)
        {
            Interlocked.Increment(ref _tracedRequests);
            _traceParents.Enqueue(traceParent);
            while (_traceParents.Count > TraceParentsKept && _traceParents.TryDequeue(out _))
            {
            }
        }

        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in WatchedHeaders)
        {
            if (header(name) is { Length: > 0 } value)
            {
                seen[name] = value;
            }
        }

        Volatile.Write(ref _lastHeaders, seen);
    }

    private static readonly string[] WatchedHeaders = ["seldon-puid", "seldon", "namespace", "x-auth-token", "content-type", "x-request-id", "seldon-model", "host", "traceparent", "tracestate"];
}
