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
    private long _rejected;
    private int _maxInServer;
    private readonly object _latencyLock = new();
    private List<double> _latencies = [];
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

    /// <summary>Requests answered 429 (gRPC ResourceExhausted) because <see cref="ServeOptions.RejectAbove"/> were in the server.</summary>
    public long Rejected => Interlocked.Read(ref _rejected);

    /// <summary>The most prediction requests in the server at once (queued and processed), rejected ones included.</summary>
    public int MaxInServer => Volatile.Read(ref _maxInServer);

    /// <summary>The time answered prediction requests spent in the server (queue and service, in milliseconds) since the
    /// start or the last reset: the count, the median and the 95th percentile (0 when none).</summary>
    public (long Count, double P50, double P95) Latency(bool reset = false)
    {
        List<double> taken;
        lock (_latencyLock)
        {
            taken = reset ? _latencies : [.. _latencies];
            if (reset)
            {
                _latencies = [];
            }
        }

        if (taken.Count == 0)
        {
            return (0, 0, 0);
        }

        taken.Sort();
        return (taken.Count, taken[(int)Math.Ceiling(0.5 * taken.Count) - 1], taken[(int)Math.Ceiling(0.95 * taken.Count) - 1]);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var (count, p50, p95) = Latency();
        return $"requests={Requests} predict={PredictRequests} feedback={FeedbackRequests} injectedFailures={InjectedFailures} " +
            $"dropped={DroppedConnections} badRequests={BadRequests} rejected={Rejected} maxInServer={MaxInServer} " +
            $"latency: answered={count} p50={p50.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}ms " +
            $"p95={p95.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)}ms";
    }

    /// <summary>The statistics as one JSON object (<c>GET /stats</c>); <paramref name="reset"/> starts the latency over.</summary>
    internal string ToJson(bool reset)
    {
        var (count, p50, p95) = Latency(reset);
        var c = System.Globalization.CultureInfo.InvariantCulture;
        return string.Create(c, $"{{\"requests\":{Requests},\"rejected\":{Rejected},\"injected_failures\":{InjectedFailures},\"max_in_server\":{MaxInServer}," +
            $"\"latency_ms\":{{\"count\":{count},\"p50\":{p50:0.###},\"p95\":{p95:0.###}}}}}");
    }

    internal void CountRejected() => Interlocked.Increment(ref _rejected);

    /// <summary>Notes <paramref name="inServer"/> prediction requests in the server now.</summary>
    internal void NoteInServer(int inServer)
    {
        for (var max = Volatile.Read(ref _maxInServer); inServer > max; max = Volatile.Read(ref _maxInServer))
        {
            if (Interlocked.CompareExchange(ref _maxInServer, inServer, max) == max)
            {
                break;
            }
        }
    }

    /// <summary>Records the time an answered prediction request spent in the server.</summary>
    internal void RecordLatency(TimeSpan latency)
    {
        lock (_latencyLock)
        {
            if (_latencies.Count < 10_000_000)
            {
                _latencies.Add(latency.TotalMilliseconds);
            }
        }
    }

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
