using System.CommandLine;
using System.Globalization;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>The flags of <c>serve</c> and how they become the server's <see cref="ServeOptions"/>. They are read as text
/// and parsed here, so that a value that is not a number is one message naming the flag.</summary>
internal sealed class ServeFlags
{
    private readonly Option<string> _host = Text("--host", "Address to listen on", "127.0.0.1");
    private readonly Option<string> _port = Text("--port", "REST port (0: any free port)", "9000");
    private readonly Option<string> _grpcPort = Text("--grpc-port", "gRPC port (0: any free port, -1: no gRPC)", "9500");
    private readonly Option<string> _failFirst = Text("--fail-first", "The first N requests fail with --fail-status", "0");
    private readonly Option<string> _failEvery = Text("--fail-every", "Every Nth request fails with --fail-status (0: never)", "0");
    private readonly Option<string> _failRate = Text("--fail-rate", "Probability (0..1) that a request fails with --fail-status", "0");
    private readonly Option<string> _failStatus = Text("--fail-status", "HTTP status of an injected failure (500, 503, 429, 400…; mapped to gRPC codes)", "503");
    private readonly Option<string> _delay = Text("--delay-ms", "Milliseconds to wait before answering", "0");
    private readonly Option<string> _randomDelay = Text("--max-random-delay-ms", "Extra random delay, 0..N milliseconds", "0");
    private readonly Option<string> _dropEvery = Text("--drop-every", "Every Nth request: close the connection without an answer (0: never)", "0");
    private readonly Option<string> _seed = Text("--seed", "Seed of the random faults and delays", "12345");
    private readonly Option<string> _logLevel = Text("--log-level", "debug|info|warning|error", "warning");
    private readonly Option<bool> _tls = new("--tls") { Description = "Serve over TLS with a self-signed certificate made at start (clients need --ssl-verify false)" };
    private readonly Option<string> _token = Text("--token", "Require this X-Auth-Token (gRPC x-auth-token); others get 401 (Unauthenticated)", "");
    private readonly Option<string> _answerStatus = Text("--answer-status", "Answer every request, on every path and port, with this HTTP status, as a misrouting gateway (404, 401, 200 with --answer-body '<html>…'); 0: off", "0");
    private readonly Option<string> _answerBody = Text("--answer-body", "The body of --answer-status (HTML if it starts with <, JSON if with {); default: the status line as text", "");
    private readonly Option<string> _deployment = Text("--deployment-name", "Route like Seldon Core's ingress for this one deployment: gateway paths and gRPC 'seldon' metadata naming another get 404 (default: any name)", "");
    private readonly Option<string> _outageAfter = Text("--outage-after", "Start an outage when request N arrives (0: never)", "0");
    private readonly Option<string> _outageSeconds = Text("--outage-seconds", "How long the outage of --outage-after lasts, in seconds", "0");
    private readonly Option<string> _outageMode = Text("--outage-mode", "What requests get in the outage: reset (connection reset) or 503 (a gateway's 'no healthy upstream')", "reset");
    private readonly Option<string> _refuseValue = Text("--refuse-value", "Refuse a whole request (a model error) when any of its rows holds this value", "");
    private readonly Option<string> _refuseStatus = Text("--refuse-status", "Status of a refused request: 400 (bad data, gRPC InvalidArgument) or 500 (model error, gRPC Internal)", "400");
    private readonly Option<string> _slowValue = Text("--slow-value", "Answer a request only after --slow-ms when any of its rows holds this value (a model slow on one input)", "");
    private readonly Option<string> _slowMs = Text("--slow-ms", "Milliseconds a request holding --slow-value waits before its answer", "10000");
    private readonly Option<string> _capacity = Text("--capacity", "At most N prediction requests processed at once (each for --delay-ms), the rest queue; 0: no limit. GET /stats reads the latency (queue + service) p50/p95", "0");
    private readonly Option<string> _rejectAbove = Text("--reject-above", "Answer 429 (gRPC ResourceExhausted) to a prediction request arriving when N are already in the server; 0: never", "0");

    private readonly Option<bool> _fixedAnswer = new("--fixed-answer")
    {
        Description = "Answer every prediction with a precomputed body (zeros, as many rows as the request) instead of running the model: for benchmarks",
    };

    private readonly Option<bool> _answerPosition = new("--answer-position")
    {
        Description = "Make each answer depend on the row's position in its request: ndarray/tensor values answered 2v+i for the row at position i, "
            + "and an Open Inference output 'position'; for testing that resumed and sharded runs send the same micro-batches",
    };

    /// <summary><c>--ready-file</c>: where to write "rest=PORT grpc=PORT" once listening.</summary>
    public Option<string> ReadyFile { get; } = Text("--ready-file", "Write \"rest=PORT grpc=PORT\" to this file once listening", null);

    /// <summary>Adds the flags to <paramref name="command"/>, in the order its help lists them.</summary>
    public void AddTo(Command command)
    {
        foreach (var o in new[]
        {
            _host, _port, _grpcPort, _failFirst, _failEvery, _failRate, _failStatus, _delay, _randomDelay, _dropEvery, _seed, ReadyFile, _logLevel,
            _token, _answerStatus, _answerBody, _deployment, _outageAfter, _outageSeconds, _outageMode, _refuseValue, _refuseStatus,
            _slowValue, _slowMs, _capacity, _rejectAbove,
        })
        {
            command.Options.Add(o);
        }

        command.Options.Add(_tls);
        command.Options.Add(_fixedAnswer);
        command.Options.Add(_answerPosition);
    }

    /// <summary>The server's options as the flags give them (not yet validated); throws <see cref="ArgumentException"/>
    /// naming the flag whose value cannot be read.</summary>
    public ServeOptions ToOptions(ParseResult parse) => new()
    {
        Host = parse.GetValue(_host)!,
        RestPort = Parse<int>(_port, parse),
        GrpcPort = Parse<int>(_grpcPort, parse),
        FailFirst = Parse<int>(_failFirst, parse),
        FailEvery = Parse<int>(_failEvery, parse),
        FailRate = Parse<double>(_failRate, parse),
        FailStatus = Parse<int>(_failStatus, parse),
        DelayMs = Parse<int>(_delay, parse),
        MaxRandomDelayMs = Parse<int>(_randomDelay, parse),
        DropEvery = Parse<int>(_dropEvery, parse),
        Seed = Parse<int>(_seed, parse),
        UseTls = parse.GetValue(_tls),
        RequiredToken = parse.GetValue(_token) ?? "",
        FixedAnswer = parse.GetValue(_fixedAnswer),
        AnswerPosition = parse.GetValue(_answerPosition),
        AnswerStatus = Parse<int>(_answerStatus, parse),
        AnswerBody = parse.GetValue(_answerBody) ?? "",
        Deployment = parse.GetValue(_deployment) ?? "",
        OutageAfter = Parse<int>(_outageAfter, parse),
        OutageSeconds = Parse<double>(_outageSeconds, parse),
        OutageMode = parse.GetValue(_outageMode) switch
        {
            "reset" => ServerOutageMode.Reset,
            "503" => ServerOutageMode.Unavailable,
            var other => throw new ArgumentException($"--outage-mode: '{other}' is not one of reset, 503"),
        },
        RefuseValue = parse.GetValue(_refuseValue) ?? "",
        RefuseStatus = Parse<int>(_refuseStatus, parse),
        SlowValue = parse.GetValue(_slowValue) ?? "",
        SlowDelayMs = Parse<int>(_slowMs, parse),
        Capacity = Parse<int>(_capacity, parse),
        RejectAbove = Parse<int>(_rejectAbove, parse),
    };

    /// <summary>The level of <c>--log-level</c>; throws <see cref="ArgumentException"/> for a name it does not know.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevelOf(ParseResult parse) =>
        CliLogging.ParseLevel(parse.GetValue(_logLevel))
        ?? throw new ArgumentException($"--log-level: '{parse.GetValue(_logLevel)}' is not one of debug, info, warning, error");

    private static Option<string> Text(string name, string description, string? defaultValue)
    {
        var option = new Option<string>(name) { Description = description };
        if (defaultValue is not null)
        {
            option.DefaultValueFactory = _ => defaultValue;
        }

        return option;
    }

    private static T Parse<T>(Option<string> option, ParseResult parse) where T : IParsable<T>
    {
        var text = parse.GetValue(option);
        return T.TryParse(text, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new ArgumentException($"{option.Name}: '{text}' is not a valid {typeof(T).Name.ToLowerInvariant()}");
    }
}
