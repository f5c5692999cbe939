using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow.Cli.Tests.Otlp;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The executable's OpenTelemetry SDK, exporting over OTLP/HTTP to a receiver in the test: the real exporter,
/// the real process, the built-in model server.</summary>
[Trait("Category", "Integration")]
[LongRunning(32)]
public sealed class OtlpExportTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private const string RunSpan = "seldon.batch.run";
    private const string RequestSpan = "seldon.batch.request";
    private readonly DemoServerFixture _fixture;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-otlp-");

    public OtlpExportTests(DemoServerFixture fixture) => _fixture = fixture;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task A_run_exports_the_metrics_whose_final_values_are_its_summary_and_a_run_span_over_its_request_spans()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var (input, output, summaryPath) = await FilesAsync(60, bad: 6);

        var (code, _, stderr) = await RunAsync(
            ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{_fixture.Server.RestPort}", "-w", "3", "-s", "4", "-u", "otlp-batch", "-i", input, "-o", output, "--summary-path", summaryPath],
            receiver.Environment());

        Assert.True(code == 0, stderr);
        Assert.Contains($"over OTLP (http/protobuf) to {receiver.Endpoint}", stderr);
        var summary = JsonNode.Parse(await File.ReadAllTextAsync(summaryPath))!;
        // Everything was exported before the process exited: the last export is the flush at the end.
        var names = receiver.Metrics().Select(m => m.Metric.Name).ToHashSet();
        foreach (var name in new[]
        {
            "seldon.batch.lines.read", "seldon.batch.lines.predicted", "seldon.batch.lines.failed", "seldon.batch.requests",
            "seldon.batch.requests.in_flight", "seldon.batch.request.duration",
        })
        {
            Assert.True(names.Contains(name), $"{name} was not exported; got {string.Join(", ", names.Order())}");
        }

        Assert.Equal(summary["instances"]!.GetValue<long>(), receiver.Total("seldon.batch.lines.read"));
        Assert.Equal(summary["succeeded"]!.GetValue<long>(), receiver.Total("seldon.batch.lines.predicted"));
        Assert.Equal(summary["failed"]!.GetValue<long>(), receiver.Total("seldon.batch.lines.failed"));
        Assert.Equal(6, summary["failed"]!.GetValue<long>());
        Assert.Equal(summary["requests"]!.GetValue<long>(), receiver.Total("seldon.batch.requests"));
        Assert.Equal(0, receiver.Total("seldon.batch.requests.in_flight"));
        var durations = receiver.Last("seldon.batch.request.duration")!.Histogram.DataPoints;
        Assert.Equal((ulong)summary["requests"]!.GetValue<long>(), durations.Aggregate(0UL, (total, p) => total + p.Count));
        // The library's buckets (its instrument's advice) reach the exporter: seconds, not the SDK's millisecond defaults.
        Assert.All(durations, p =>
        {
            Assert.Contains(0.001, p.ExplicitBounds);
            Assert.Equal(60, p.ExplicitBounds[^1]);
        });
        // Lines that are not JSON are the kind InvalidLine, however olib spells it in lower case.
        Assert.All(receiver.Last("seldon.batch.lines.failed")!.Sum.DataPoints, p => Assert.StartsWith("invalid", Attribute(p.Attributes, "failure.kind")));

        var resource = receiver.Metrics()[0].Resource;
        Assert.Equal(CliTelemetry.DefaultServiceName, Attribute(resource.Attributes, "service.name"));
        Assert.Equal("otlp-batch", Attribute(resource.Attributes, "seldon.batch.id"));
        Assert.Matches("^[0-9a-f]{32}$", Attribute(resource.Attributes, "service.instance.id"));

        var spans = receiver.Spans().Select(s => s.Span).ToList();
        var run = Assert.Single(spans, s => s.Name == RunSpan);
        Assert.Equal("otlp-batch", Attribute(run.Attributes, "seldon.batch.id"));
        Assert.True(run.ParentSpanId.IsEmpty);
        var requests = spans.Where(s => s.Name == RequestSpan).ToList();
        Assert.Equal(summary["requests"]!.GetValue<long>(), requests.Count);
        Assert.All(requests, r =>
        {
            Assert.Equal(run.TraceId, r.TraceId);
            Assert.Equal(run.SpanId, r.ParentSpanId);
            Assert.Equal(3, r.Kind); // SPAN_KIND_CLIENT
        });
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task The_traceparent_each_request_carried_is_an_exported_request_span(string transport)
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        // A model of this test's own: what it saw is this run's requests only.
        await using var model = await DemoModelServer.StartAsync(new ServeOptions());
        var (input, output, _) = await FilesAsync(12, bad: 0);

        var (code, _, stderr) = await RunAsync(
            ["-d", "demo", "-g", "seldon", "-t", transport, "-h", $"127.0.0.1:{(transport == "rest" ? model.RestPort : model.GrpcPort)}", "-w", "2", "-s", "3", "-i", input, "-o", output],
            receiver.Environment());

        Assert.True(code == 0, stderr);
        var run = Assert.Single(receiver.Spans(), s => s.Span.Name == RunSpan).Span;
        var requests = receiver.Spans().Where(s => s.Span.Name == RequestSpan).ToDictionary(s => Hex(s.Span.SpanId), s => s.Span);
        Assert.Equal(4, model.Statistics.TraceParents.Count);
        foreach (var traceparent in model.Statistics.TraceParents)
        {
            // 00-<trace id>-<span id>-<flags>: the request's own exported span, in the run's trace.
            var parts = traceparent.Split('-');
            Assert.Equal(4, parts.Length);
            Assert.True(requests.TryGetValue(parts[2], out var sent), $"{traceparent} is no exported request span");
            Assert.Equal(parts[1], Hex(sent.TraceId));
            Assert.Equal(run.SpanId, sent.ParentSpanId);
        }
    }

    [Fact]
    public async Task While_a_run_goes_its_gauges_are_exported_every_interval()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 20, GrpcPort = -1 });
        var (input, output, _) = await FilesAsync(100_000, bad: 0);
        var environment = receiver.Environment();
        environment["OTEL_METRIC_EXPORT_INTERVAL"] = "200";

        using var process = Start(["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{slow.RestPort}", "-w", "4", "-i", input, "-o", output], environment);
        try
        {
            // The gauges are observed only while a run lives (the last export, after it, has none): these come from the
            // periodic exports. The rate needs two seconds of lines written before it has a value above 0.
            await receiver.WaitForAsync(
                r => r.Last("seldon.batch.breaker.state") is not null
                    && r.Last("seldon.batch.lines.rate")?.Gauge.DataPoints.Any(p => p.AsDouble > 0) == true,
                TimeSpan.FromMinutes(1));
        }
        finally
        {
            Assert.Equal(0, Kill(process.Id, 15));
            await WaitAsync(process);
        }

        Assert.Equal(0, receiver.Last("seldon.batch.breaker.state")!.Gauge.DataPoints.Single().AsInt);
    }

    [Fact]
    public async Task Sigterm_mid_run_still_exports_the_final_values_and_the_run_span()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 20, GrpcPort = -1 });
        var (input, output, summaryPath) = await FilesAsync(600, bad: 0);
        var environment = receiver.Environment();
        // Nothing is exported on a schedule during the run: only the flush at the exit can bring what arrives.
        environment["OTEL_METRIC_EXPORT_INTERVAL"] = "600000";
        environment["OTEL_BSP_SCHEDULE_DELAY"] = "600000";

        using var process = Start(
            ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{slow.RestPort}", "-w", "4", "-i", input, "-o", output, "--summary-path", summaryPath, "--shutdown-timeout", "5"],
            environment);
        var patience = DateTime.UtcNow.AddMinutes(1);
        while (slow.Statistics.Requests < 40)
        {
            Assert.False(process.HasExited, "the run ended before it was signalled");
            Assert.True(DateTime.UtcNow < patience, "the run never reached 40 requests");
            await Task.Delay(20);
        }

        Assert.Equal(0, receiver.Requests);
        Assert.Equal(0, Kill(process.Id, 15));
        var (code, _, stderr) = await WaitAsync(process);

        Assert.True(code == 143, $"exit code {code}: {stderr}");
        var summary = JsonNode.Parse(await File.ReadAllTextAsync(summaryPath))!;
        Assert.Equal("interrupted", summary["outcome"]!.GetValue<string>());
        Assert.InRange(summary["succeeded"]!.GetValue<long>(), 1, 599);
        Assert.Equal(summary["succeeded"]!.GetValue<long>(), receiver.Total("seldon.batch.lines.predicted"));
        Assert.Single(receiver.Spans(), s => s.Span.Name == RunSpan);
    }

    [Fact]
    public async Task A_collector_that_never_answers_does_not_hold_the_exit()
    {
        // Connections complete in the listener's backlog and nothing ever answers them; an export would wait its
        // timeout of ten minutes, but the exit waits only a few seconds per signal for it.
        using var blackHole = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        blackHole.Start();
        var (input, output, _) = await FilesAsync(5, bad: 0);

        var (code, _, stderr) = await RunAsync(
            ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{_fixture.Server.RestPort}", "-i", input, "-o", output],
            new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{((System.Net.IPEndPoint)blackHole.LocalEndpoint).Port}",
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_EXPORTER_OTLP_TIMEOUT"] = "600000",
            });

        // RunAsync gives the process two minutes.
        Assert.True(code == 0, stderr);
        Assert.Equal(5, (await File.ReadAllLinesAsync(output)).Length);
    }

    [Fact]
    public async Task Without_an_endpoint_nothing_is_built_and_nothing_is_sent()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var (input, output, _) = await FilesAsync(5, bad: 0);

        // The protocol and the service are named, the endpoint is not (the machine's own variables are emptied too).
        var (code, _, stderr) = await RunAsync(
            ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{_fixture.Server.RestPort}", "-i", input, "-o", output, "-l", "debug"],
            new Dictionary<string, string>
            {
                ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
                ["OTEL_SERVICE_NAME"] = "nobody-listens",
                ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "",
                ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = "",
                ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = "",
            });

        Assert.True(code == 0, stderr);
        Assert.DoesNotContain("OTLP", stderr);
        Assert.Equal(0, receiver.Requests);
    }

    // Loopback endpoints with nothing listening: the providers built are disposed at once, and send nowhere else.
    [Theory]
    [InlineData("", "", "", "", "", false, false)]
    [InlineData("http://127.0.0.1:1", "", "", "", "", true, true)]
    [InlineData("", "http://127.0.0.1:1/v1/traces", "", "", "", true, false)]
    [InlineData("", "", "http://127.0.0.1:1/v1/metrics", "", "", false, true)]
    [InlineData("http://127.0.0.1:1", "", "", "none", "", false, true)]
    [InlineData("http://127.0.0.1:1", "", "", "none", "none", false, false)]
    [InlineData("http://127.0.0.1:1", "", "", "", "true", false, false)]
    public void The_environment_decides_which_signals_are_built(
        string endpoint, string traces, string metrics, string tracesExporter, string disabledOrMetricsNone, bool buildsTraces, bool buildsMetrics)
    {
        var environment = new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = traces,
            ["OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"] = metrics,
            ["OTEL_TRACES_EXPORTER"] = tracesExporter,
            ["OTEL_METRICS_EXPORTER"] = disabledOrMetricsNone == "none" ? "none" : "",
            ["OTEL_SDK_DISABLED"] = disabledOrMetricsNone == "true" ? "true" : "",
        };

        using var telemetry = CliTelemetry.Start(name => environment.GetValueOrDefault(name), "run", batchId: null);

        Assert.Equal(buildsTraces || buildsMetrics, telemetry is not null);
        Assert.Equal(buildsTraces, telemetry?.ExportsTraces ?? false);
        Assert.Equal(buildsMetrics, telemetry?.ExportsMetrics ?? false);
    }

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "not a url")]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4317")]
    [InlineData("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "ftp://collector/v1/traces")]
    public void An_endpoint_that_is_not_an_http_url_is_a_warning_naming_the_variable_and_nothing_is_built(string variable, string value)
    {
        var messages = new List<string>();
        using var loggers = Microsoft.Extensions.Logging.LoggerFactory.Create(b => b.AddProvider(new ListLoggerProvider(messages)));

        using var telemetry = CliTelemetry.StartOrWarn(name => name == variable ? value : null, "run", null, loggers.CreateLogger("test"));

        Assert.Null(telemetry);
        var warning = Assert.Single(messages);
        Assert.Contains($"{variable} '{value}' is not an http:// or https:// URL", warning);
    }

    internal static string? Attribute(RepeatedField<KeyValue> attributes, string key) =>
        attributes.FirstOrDefault(a => a.Key == key)?.Value is { } value
            ? value.ValueCase switch
            {
                AnyValue.ValueOneofCase.StringValue => value.StringValue,
                AnyValue.ValueOneofCase.IntValue => value.IntValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                AnyValue.ValueOneofCase.BoolValue => value.BoolValue ? "true" : "false",
                AnyValue.ValueOneofCase.DoubleValue => value.DoubleValue.ToString(System.Globalization.CultureInfo.InvariantCulture),
                _ => null,
            }
            : null;

    internal static string Hex(ByteString id) => Convert.ToHexStringLower(id.Span);

    /// <summary>An input of <paramref name="lines"/> lines, the first <paramref name="bad"/> of them not JSON.</summary>
    private async Task<(string Input, string Output, string Summary)> FilesAsync(int lines, int bad)
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, lines).Select(i => i < bad ? "not json" : $"[[{i}]]"));
        return (input, Path.Combine(_dir.FullName, "out.txt"), Path.Combine(_dir.FullName, "summary.json"));
    }

    /// <summary>Keeps each message logged, rendered.</summary>
    private sealed class ListLoggerProvider(List<string> messages) : Microsoft.Extensions.Logging.ILoggerProvider
    {
        public Microsoft.Extensions.Logging.ILogger CreateLogger(string categoryName) => new ListLogger(messages);

        public void Dispose()
        {
        }

        private sealed class ListLogger(List<string> messages) : Microsoft.Extensions.Logging.ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

            public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (messages)
                {
                    messages.Add(formatter(state, exception));
                }
            }
        }
    }
}
