using System.Net;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// Settings of the built-in demo model server: where it listens and which faults it injects.
/// </summary>
/// <remarks>
/// The server reads these once when it starts (<see cref="DemoModelServer.StartAsync"/>); changing them
/// afterwards has no effect on a running server. Faults are decided per request, in this order:
/// a fixed answer (<see cref="AnswerStatus"/>), the outage window (<see cref="OutageAfter"/>),
/// drop (<see cref="DropEvery"/>), fail (<see cref="FailFirst"/>, <see cref="FailEvery"/>,
/// <see cref="FailRate"/>), delay (<see cref="DelayMs"/>, <see cref="MaxRandomDelayMs"/>), then the model
/// (or the <see cref="FixedAnswer"/>), which is slow on requests with a <see cref="SlowValue"/> row and refuses requests
/// with a <see cref="RefuseValue"/> row.
/// Requests are numbered from 1 in the order they arrive, REST and gRPC together.
/// </remarks>
public sealed class ServeOptions
{
    /// <summary>The IP address to listen on, or <c>localhost</c> (the IPv4 loopback). Default <c>127.0.0.1</c>.</summary>
    public string Host { get; set; } = "127.0.0.1";

    /// <summary>The port of the REST endpoint; 0 (the default) picks a free ephemeral port.</summary>
    public int RestPort { get; set; }

    /// <summary>
    /// The port of the gRPC endpoint (HTTP/2 without TLS); 0 (the default) picks a free ephemeral port,
    /// -1 disables gRPC.
    /// </summary>
    public int GrpcPort { get; set; }

    /// <summary>The first N requests fail with <see cref="FailStatus"/>. Default 0.</summary>
    public int FailFirst { get; set; }

    /// <summary>Every Nth request fails with <see cref="FailStatus"/>; 0 (the default) never.</summary>
    public int FailEvery { get; set; }

    /// <summary>The probability, from 0 to 1, that a request fails with <see cref="FailStatus"/>. Default 0.</summary>
    public double FailRate { get; set; }

    /// <summary>
    /// The HTTP status of an injected failure (400 to 599; e.g. 500, 503, 429, 400). Default 503.
    /// Over gRPC it maps to a status code: 500 Internal, 503 Unavailable, 429 ResourceExhausted,
    /// 400 InvalidArgument, any other Unknown.
    /// </summary>
    public int FailStatus { get; set; } = 503;

    /// <summary>A fixed delay, in milliseconds, before each answer. Default 0.</summary>
    public int DelayMs { get; set; }

    /// <summary>An extra random delay before each answer, uniform from 0 to this many milliseconds. Default 0.</summary>
    public int MaxRandomDelayMs { get; set; }

    /// <summary>Every Nth request has its connection aborted without an answer; 0 (the default) never.</summary>
    public int DropEvery { get; set; }

    /// <summary>
    /// The seed of the random decisions (<see cref="FailRate"/>, <see cref="MaxRandomDelayMs"/>). The same seed
    /// gives the same decision for the same request number. Default 12345.
    /// </summary>
    public int Seed { get; set; } = 12345;

    /// <summary>
    /// Serve both endpoints over TLS with a self-signed certificate for <c>localhost</c> and <c>127.0.0.1</c>, made
    /// when the server starts (so clients must skip verification: <c>--ssl-verify false</c>). Default false.
    /// </summary>
    public bool UseTls { get; set; }

    /// <summary>
    /// When not empty, every request must carry this token as <c>X-Auth-Token</c> (gRPC metadata <c>x-auth-token</c>);
    /// others are answered 401 (gRPC Unauthenticated). Default empty: no token needed.
    /// </summary>
    public string RequiredToken { get; set; } = "";

    /// <summary>
    /// Answers every prediction with a precomputed body (all zeros, as many rows as the request) instead of running
    /// the model, so that a benchmark of a client is not limited by the server. Faults still apply; feedback still
    /// runs the model. Default false.
    /// </summary>
    public bool FixedAnswer { get; set; }

    /// <summary>
    /// When not 0, every request, on both ports and on every path, is answered with this HTTP status and
    /// <see cref="AnswerBody"/> before anything else runs, as a misrouting gateway would: 404 (a wrong deployment
    /// name), 401 (a wrong token), 200 with an HTML page (a login or default page). gRPC clients see it as the HTTP
    /// answer it is (404 becomes Unimplemented, 401 Unauthenticated, an HTML 200 a bad gRPC response). Default 0.
    /// </summary>
    public int AnswerStatus { get; set; }

    /// <summary>
    /// The body of <see cref="AnswerStatus"/>: sent as HTML when it starts with <c>&lt;</c>, as JSON when it starts with
    /// <c>{</c>, else as plain text. Empty (the default) sends a gateway's plain text, e.g. <c>404 Not Found</c>.
    /// </summary>
    public string AnswerBody { get; set; } = "";

    /// <summary>
    /// When not empty, the server routes like Seldon Core's ingress for this one deployment: a gateway path
    /// (<c>/seldon/{namespace}/{deployment}/…</c>) or a gRPC call whose <c>seldon</c> metadata names another deployment
    /// is answered 404 with an empty body, as Istio answers a route it does not know. Empty (the default) serves any name.
    /// </summary>
    public string Deployment { get; set; } = "";

    /// <summary>
    /// When not 0, an outage starts when request number N arrives and lasts <see cref="OutageSeconds"/>: every request in
    /// it gets <see cref="OutageMode"/>. Default 0 (never).
    /// </summary>
    public int OutageAfter { get; set; }

    /// <summary>How long the outage of <see cref="OutageAfter"/> lasts, in seconds. Default 0.</summary>
    public double OutageSeconds { get; set; }

    /// <summary>What requests get during the outage: a reset connection or a gateway's 503. Default reset.</summary>
    public ServerOutageMode OutageMode { get; set; } = ServerOutageMode.Reset;

    /// <summary>
    /// When not empty, a request with this value in any row (a JSON number or string, matched as a whole token) is
    /// refused whole with <see cref="RefuseStatus"/> and a Seldon status body, as a real model refuses a request with
    /// one bad row. Default empty.
    /// </summary>
    public string RefuseValue { get; set; } = "";

    /// <summary>
    /// The status of a refused request: 400 (<c>MICROSERVICE_BAD_DATA</c>, gRPC InvalidArgument) or 500
    /// (<c>MICROSERVICE_INTERNAL_ERROR</c>, gRPC Internal). Default 400.
    /// </summary>
    public int RefuseStatus { get; set; } = 400;

    /// <summary>
    /// Makes the model's answer depend on where a row sits in its request, as a model that normalizes by batch
    /// statistics does: every value of the row at 0-based position i of a Seldon <c>ndarray</c> or <c>tensor</c> is
    /// answered 2·v + i instead of 2·v (so a row of zeros is answered with its position), and an Open Inference answer
    /// gets an output <c>position</c> (INT64, one value per row of the request's first dimension) holding each row's
    /// position. A client that groups the same lines into other requests (a resumed run, a shard) gets other answers.
    /// Not with <see cref="FixedAnswer"/>, which does not run the model. Default false.
    /// </summary>
    public bool AnswerPosition { get; set; }

    /// <summary>
    /// When not empty, a request with this value in any row (a JSON number or string, matched as a whole token, as
    /// <see cref="RefuseValue"/> is) waits <see cref="SlowDelayMs"/> before the model answers it, as a model that is slow on
    /// one input: a micro-batch holding it is slow whole. Default empty.
    /// </summary>
    public string SlowValue { get; set; } = "";

    /// <summary>How long a request holding <see cref="SlowValue"/> waits before its answer, in milliseconds. Default 10000.</summary>
    public int SlowDelayMs { get; set; } = 10000;

    /// <summary>
    /// When not 0, at most this many prediction requests are processed at once (each for its <see cref="DelayMs"/>); the
    /// others wait in the server's queue, as a model with a hidden capacity (its replicas and threads) makes them wait.
    /// Default 0 (no limit).
    /// </summary>
    public int Capacity { get; set; }

    /// <summary>
    /// When not 0, a prediction request that arrives when this many are already in the server (queued or processed) is
    /// answered 429 at once (gRPC ResourceExhausted), as an overloaded server or its gateway sheds load. Default 0 (never).
    /// </summary>
    public int RejectAbove { get; set; }

    /// <summary>Checks every setting.</summary>
    /// <exception cref="ArgumentException">A setting is out of range; the message says which and why.</exception>
    public void Validate()
    {
        ValidateAddresses();
        ValidateFaults();
        ValidateAnswers();
    }

    /// <summary>The host and the two ports.</summary>
    private void ValidateAddresses()
    {
        if (string.IsNullOrWhiteSpace(Host))
        {
            throw new ArgumentException("The host must be an IP address or 'localhost'; it is empty.", nameof(Host));
        }

        if (!IsSupportedHost(Host))
        {
            throw new ArgumentException(
                $"The host must be an IP address or 'localhost'; '{Host}' is neither.", nameof(Host));
        }

        if (RestPort is < 0 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentException(
                $"The REST port must be from 0 (any free port) to {IPEndPoint.MaxPort}; it is {RestPort}.", nameof(RestPort));
        }

        if (GrpcPort is < -1 or > IPEndPoint.MaxPort)
        {
            throw new ArgumentException(
                $"The gRPC port must be from 0 (any free port) to {IPEndPoint.MaxPort}, or -1 (no gRPC); it is {GrpcPort}.",
                nameof(GrpcPort));
        }

        if (RestPort > 0 && RestPort == GrpcPort)
        {
            throw new ArgumentException(
                $"The REST and gRPC ports must differ; both are {RestPort}.", nameof(GrpcPort));
        }
    }

    /// <summary>The injected failures, drops and delays, the gateway's fixed answer and the outage.</summary>
    private void ValidateFaults()
    {
        RequireNotNegative(FailFirst, nameof(FailFirst), "the number of first requests that fail");
        RequireNotNegative(FailEvery, nameof(FailEvery), "the period of failing requests (0 = never)");
        RequireNotNegative(DropEvery, nameof(DropEvery), "the period of dropped connections (0 = never)");
        RequireNotNegative(DelayMs, nameof(DelayMs), "the fixed delay in milliseconds");
        RequireNotNegative(MaxRandomDelayMs, nameof(MaxRandomDelayMs), "the maximum random delay in milliseconds");
        RequireNotNegative(SlowDelayMs, nameof(SlowDelayMs), "the delay of a request holding the slow value, in milliseconds");
        RequireNotNegative(Capacity, nameof(Capacity), "the number of requests processed at once (0 = no limit)");
        RequireNotNegative(RejectAbove, nameof(RejectAbove), "the number of requests in the server above which a request is refused with 429 (0 = never)");

        // Written as a negation so that NaN is rejected too.
        if (!(FailRate >= 0 && FailRate <= 1))
        {
            throw new ArgumentException(
                $"The failure rate is a probability and must be from 0 to 1; it is {FailRate}.", nameof(FailRate));
        }

        if (AnswerStatus != 0 && AnswerStatus is < 200 or > 599)
        {
            throw new ArgumentException(
                $"The fixed answer status must be 0 (none) or an HTTP status from 200 to 599; it is {AnswerStatus}.", nameof(AnswerStatus));
        }

        RequireNotNegative(OutageAfter, nameof(OutageAfter), "the request that starts the outage (0 = never)");
        if (!(OutageSeconds >= 0 && OutageSeconds <= 86400))
        {
            throw new ArgumentException(
                $"The outage lasts from 0 to 86400 seconds; it is {OutageSeconds}.", nameof(OutageSeconds));
        }
    }

    /// <summary>The statuses of refused requests and injected failures, and the answer modes that exclude each other.</summary>
    private void ValidateAnswers()
    {
        if (RefuseStatus is not (400 or 500))
        {
            throw new ArgumentException(
                $"The status of a refused request must be 400 (bad data) or 500 (model error); it is {RefuseStatus}.", nameof(RefuseStatus));
        }

        if (AnswerPosition && FixedAnswer)
        {
            throw new ArgumentException(
                "Answering each row's position needs the model, and fixed answers do not run it: use one or the other.", nameof(AnswerPosition));
        }

        if (FailStatus is < 400 or > 599)
        {
            throw new ArgumentException(
                $"The status of an injected failure must be an HTTP error status from 400 to 599; it is {FailStatus}.",
                nameof(FailStatus));
        }
    }

    internal static bool IsSupportedHost(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) || IPAddress.TryParse(host, out _);

    private static void RequireNotNegative(int value, string name, string meaning)
    {
        if (value < 0)
        {
            throw new ArgumentException($"{name} is {meaning} and cannot be negative; it is {value}.", name);
        }
    }
}
