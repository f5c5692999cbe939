using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary><c>serve</c>: hosts the built-in demo model on loopback, over Seldon REST and gRPC, with fault
/// injection for tests, until Ctrl-C or SIGTERM.</summary>
internal static class ServeCommand
{
    public static Command Create(Func<string, string?> environment, TextWriter stdout, TextWriter stderr, SignalCancellation signals)
    {
        var command = new Command("serve", "Serve the built-in deterministic demo model (Seldon REST and gRPC) until stopped");
        var host = Text("--host", "Address to listen on", "127.0.0.1");
        var port = Text("--port", "REST port (0: any free port)", "9000");
        var grpcPort = Text("--grpc-port", "gRPC port (0: any free port, -1: no gRPC)", "9500");
        var failFirst = Text("--fail-first", "The first N requests fail with --fail-status", "0");
        var failEvery = Text("--fail-every", "Every Nth request fails with --fail-status (0: never)", "0");
        var failRate = Text("--fail-rate", "Probability (0..1) that a request fails with --fail-status", "0");
        var failStatus = Text("--fail-status", "HTTP status of an injected failure (500, 503, 429, 400…; mapped to gRPC codes)", "503");
        var delay = Text("--delay-ms", "Milliseconds to wait before answering", "0");
        var randomDelay = Text("--max-random-delay-ms", "Extra random delay, 0..N milliseconds", "0");
        var dropEvery = Text("--drop-every", "Every Nth request: close the connection without an answer (0: never)", "0");
        var seed = Text("--seed", "Seed of the random faults and delays", "12345");
        var readyFile = Text("--ready-file", "Write \"rest=PORT grpc=PORT\" to this file once listening", null);
        var logLevel = Text("--log-level", "debug|info|warning|error", "warning");
        var tls = new Option<bool>("--tls") { Description = "Serve over TLS with a self-signed certificate made at start (clients need --ssl-verify false)" };
        var token = Text("--token", "Require this X-Auth-Token (gRPC x-auth-token); others get 401 (Unauthenticated)", "");
        var answerStatus = Text("--answer-status", "Answer every request, on every path and port, with this HTTP status, as a misrouting gateway (404, 401, 200 with --answer-body '<html>…'); 0: off", "0");
        var answerBody = Text("--answer-body", "The body of --answer-status (HTML if it starts with <, JSON if with {); default: the status line as text", "");
        var deployment = Text("--deployment-name", "Route like Seldon Core's ingress for this one deployment: gateway paths and gRPC 'seldon' metadata naming another get 404 (default: any name)", "");
        var outageAfter = Text("--outage-after", "Start an outage when request N arrives (0: never)", "0");
        var outageSeconds = Text("--outage-seconds", "How long the outage of --outage-after lasts, in seconds", "0");
        var outageMode = Text("--outage-mode", "What requests get in the outage: reset (connection reset) or 503 (a gateway's 'no healthy upstream')", "reset");
        var refuseValue = Text("--refuse-value", "Refuse a whole request (a model error) when any of its rows holds this value", "");
        var refuseStatus = Text("--refuse-status", "Status of a refused request: 400 (bad data, gRPC InvalidArgument) or 500 (model error, gRPC Internal)", "400");
        var slowValue = Text("--slow-value", "Answer a request only after --slow-ms when any of its rows holds this value (a model slow on one input)", "");
        var slowMs = Text("--slow-ms", "Milliseconds a request holding --slow-value waits before its answer", "10000");
        foreach (var o in new[]
        {
            host, port, grpcPort, failFirst, failEvery, failRate, failStatus, delay, randomDelay, dropEvery, seed, readyFile, logLevel, token,
            answerStatus, answerBody, deployment, outageAfter, outageSeconds, outageMode, refuseValue, refuseStatus,
            slowValue, slowMs,
        })
        {
            command.Options.Add(o);
        }

        command.Options.Add(tls);
        var fixedAnswer = new Option<bool>("--fixed-answer")
        {
            Description = "Answer every prediction with a precomputed body (zeros, as many rows as the request) instead of running the model: for benchmarks",
        };
        command.Options.Add(fixedAnswer);
        var answerPosition = new Option<bool>("--answer-position")
        {
            Description = "Make each answer depend on the row's position in its request: ndarray/tensor values answered 2v+i for the row at position i, "
                + "and an Open Inference output 'position'; for testing that resumed and sharded runs send the same micro-batches",
        };
        command.Options.Add(answerPosition);

        command.SetAction(async (parse, _) =>
        {
            ServeOptions options;
            Microsoft.Extensions.Logging.LogLevel level;
            try
            {
                options = new ServeOptions
                {
                    Host = parse.GetValue(host)!,
                    RestPort = Parse<int>(port, parse),
                    GrpcPort = Parse<int>(grpcPort, parse),
                    FailFirst = Parse<int>(failFirst, parse),
                    FailEvery = Parse<int>(failEvery, parse),
                    FailRate = Parse<double>(failRate, parse),
                    FailStatus = Parse<int>(failStatus, parse),
                    DelayMs = Parse<int>(delay, parse),
                    MaxRandomDelayMs = Parse<int>(randomDelay, parse),
                    DropEvery = Parse<int>(dropEvery, parse),
                    Seed = Parse<int>(seed, parse),
                    UseTls = parse.GetValue(tls),
                    RequiredToken = parse.GetValue(token) ?? "",
                    FixedAnswer = parse.GetValue(fixedAnswer),
                    AnswerPosition = parse.GetValue(answerPosition),
                    AnswerStatus = Parse<int>(answerStatus, parse),
                    AnswerBody = parse.GetValue(answerBody) ?? "",
                    Deployment = parse.GetValue(deployment) ?? "",
                    OutageAfter = Parse<int>(outageAfter, parse),
                    OutageSeconds = Parse<double>(outageSeconds, parse),
                    OutageMode = parse.GetValue(outageMode) switch
                    {
                        "reset" => ServerOutageMode.Reset,
                        "503" => ServerOutageMode.Unavailable,
                        var other => throw new ArgumentException($"--outage-mode: '{other}' is not one of reset, 503"),
                    },
                    RefuseValue = parse.GetValue(refuseValue) ?? "",
                    RefuseStatus = Parse<int>(refuseStatus, parse),
                    SlowValue = parse.GetValue(slowValue) ?? "",
                    SlowDelayMs = Parse<int>(slowMs, parse),
                };
                options.Validate();
                level = CliLogging.ParseLevel(parse.GetValue(logLevel))
                    ?? throw new ArgumentException($"--log-level: '{parse.GetValue(logLevel)}' is not one of debug, info, warning, error");
            }
            catch (ArgumentException ex)
            {
                await stderr.WriteLineAsync($"seldon-batch-processor serve: error: {ex.Message}").ConfigureAwait(false);
                return ExitCodes.InvalidSettings;
            }

            using var loggers = CliLogging.Create(level);
            DemoModelServer started;
            try
            {
                started = await DemoModelServer.StartAsync(options, loggers, signals.Token).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // Kestrel's bind failure: a port taken by another process is a setting to change, not a crash.
                await stderr.WriteLineAsync($"seldon-batch-processor serve: error: {BindFailure(ex, options)}").ConfigureAwait(false);
                return ExitCodes.InvalidSettings;
            }

            await using var server = started;
            var grpc = server.GrpcPort > 0 ? server.GrpcAddress : "off";
            await stdout.WriteLineAsync($"serving the demo model: REST {server.RestBaseAddress} gRPC {grpc} (Ctrl-C stops)").ConfigureAwait(false);
            // Announced in full even when a signal is already stopping the server: a reader waits for these.
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
            if (parse.GetValue(readyFile) is { Length: > 0 } ready)
            {
                var temp = ready + ".tmp";
                await File.WriteAllTextAsync(temp, $"rest={server.RestPort} grpc={server.GrpcPort}\n", CancellationToken.None).ConfigureAwait(false);
                File.Move(temp, ready, overwrite: true);
            }

            try
            {
                await Task.Delay(Timeout.Infinite, signals.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped by a signal: the normal way to end serving.
            }

            await server.StopAsync().ConfigureAwait(false);
            return ExitCodes.Success;
        });
        return command;
    }

    /// <summary>One line naming the port that could not be bound and the flag that set it. Kestrel's message names
    /// the address ("Failed to bind to address http://127.0.0.1:9500: address already in use."), which tells the two
    /// endpoints apart; when it does not, its message is shown as it is.</summary>
    private static string BindFailure(IOException ex, ServeOptions options)
    {
        var flag = ex.Message.Contains($":{options.RestPort}:", StringComparison.Ordinal) ? "--port"
            : options.GrpcPort > 0 && ex.Message.Contains($":{options.GrpcPort}:", StringComparison.Ordinal) ? "--grpc-port"
            : null;
        if (flag is null)
        {
            return $"cannot listen on {options.Host}: {ex.Message}";
        }

        var port = flag == "--port" ? options.RestPort : options.GrpcPort;
        var cause = ex.InnerException?.Message.TrimEnd('.').ToLowerInvariant() ?? "cannot be bound";
        return $"{options.Host}:{port} ({flag}): {cause}; choose another port, or 0 for any free one";
    }

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
