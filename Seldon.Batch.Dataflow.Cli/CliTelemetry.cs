using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>The OpenTelemetry SDK of the executable: the library's meter and activity source exported over OTLP, set up
/// by the standard <c>OTEL_*</c> variables, which the SDK reads itself (protocol, headers, service name, resource
/// attributes, export interval, <c>OTEL_SDK_DISABLED</c>…).</summary>
/// <remarks>Nothing is built unless an OTLP endpoint is named: without one the library's instruments have no listener
/// and cost a branch each. A signal is built only when its endpoint is named (the common one or its own) and its
/// <c>OTEL_*_EXPORTER</c> is not <c>none</c>, so that a collector taking only traces is not sent metrics to a default
/// address. <see cref="Dispose"/> exports what is left, bounded in time: a collector that is gone must not hold the
/// exit of a job that is done.</remarks>
internal sealed class CliTelemetry : IDisposable
{
    /// <summary>The service name when <c>OTEL_SERVICE_NAME</c> (or <c>service.name</c> in
    /// <c>OTEL_RESOURCE_ATTRIBUTES</c>) does not name one: the name of the executable and of the original.</summary>
    public const string DefaultServiceName = "seldon-batch-processor";

    /// <summary>How long the exit may wait for the last export of each signal.</summary>
    public static readonly TimeSpan FlushTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How often metrics are exported unless <c>OTEL_METRIC_EXPORT_INTERVAL</c> says otherwise.</summary>
    public static readonly TimeSpan DefaultExportInterval = TimeSpan.FromSeconds(15);

    private readonly TracerProvider? _traces;
    private readonly MeterProvider? _metrics;

    private CliTelemetry(TracerProvider? traces, MeterProvider? metrics, string endpoint)
    {
        _traces = traces;
        _metrics = metrics;
        Endpoint = endpoint;
    }

    /// <summary>Where the first built signal goes, for the start-up log line.</summary>
    public string Endpoint { get; }

    /// <summary>Whether traces are exported.</summary>
    public bool ExportsTraces => _traces is not null;

    /// <summary>Whether metrics are exported.</summary>
    public bool ExportsMetrics => _metrics is not null;

    /// <summary>As <see cref="Start"/>, saying on <paramref name="logger"/> where the telemetry goes; a setting the SDK
    /// refuses is a warning, not the end of the run: a job's output matters more than its metrics.</summary>
    public static CliTelemetry? StartOrWarn(Func<string, string?> environment, string runId, string? batchId, ILogger logger)
    {
        try
        {
            var telemetry = Start(environment, runId, batchId);
            if (telemetry is not null)
            {
                logger.LogInformation(
                    "Exporting {Signals} over OTLP ({Protocol}) to {Endpoint}",
                    telemetry.ExportsTraces && telemetry.ExportsMetrics ? "metrics and traces" : telemetry.ExportsMetrics ? "metrics" : "traces",
                    environment("OTEL_EXPORTER_OTLP_PROTOCOL") is { Length: > 0 } protocol ? protocol : "grpc",
                    telemetry.Endpoint);
            }

            return telemetry;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidOperationException or NotSupportedException)
        {
            logger.LogWarning("Not exporting metrics and traces: {Reason}", ex.Message);
            return null;
        }
    }

    /// <summary>Builds the exporting providers the environment asks for, or returns null when it names no OTLP endpoint
    /// (or turns every signal off).</summary>
    /// <param name="environment">Reads a variable (the process environment; tests pass their own).</param>
    /// <param name="runId">This process's id: <c>service.instance.id</c> unless the environment names one.</param>
    /// <param name="batchId">The batch id given on the command line, if any: the <c>seldon.batch.id</c> resource attribute.</param>
    public static CliTelemetry? Start(Func<string, string?> environment, string runId, string? batchId)
    {
        if (IsTrue(environment("OTEL_SDK_DISABLED")))
        {
            return null;
        }

        var common = environment("OTEL_EXPORTER_OTLP_ENDPOINT");
        var tracesEndpoint = SignalEndpoint(environment, common, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_TRACES_EXPORTER");
        var metricsEndpoint = SignalEndpoint(environment, common, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "OTEL_METRICS_EXPORTER");
        if (tracesEndpoint is null && metricsEndpoint is null)
        {
            return null;
        }

        void Describe(ResourceBuilder resource)
        {
            // Added before the environment's detector, which therefore wins: OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
            // override these defaults. The instance is the process, not the batch: the pods of a sharded job, and the
            // reruns that continue a batch, share its batch id, and two producers of one series would garble its sums.
            resource.Clear()
                .AddService(DefaultServiceName, serviceVersion: Version, autoGenerateServiceInstanceId: false, serviceInstanceId: runId)
                .AddTelemetrySdk();
            if (!string.IsNullOrEmpty(batchId))
            {
                resource.AddAttributes([new("seldon.batch.id", batchId)]);
            }

            resource.AddEnvironmentVariableDetector();
        }

        var traces = tracesEndpoint is null
            ? null
            : Sdk.CreateTracerProviderBuilder()
                .ConfigureResource(Describe)
                .AddSource(BatchDiagnostics.ActivitySourceName)
                .AddOtlpExporter()
                .Build();
        // A job's progress wants a finer grain than the SDK's default of a minute; OTEL_METRIC_EXPORT_INTERVAL still wins.
        var interval = string.IsNullOrWhiteSpace(environment("OTEL_METRIC_EXPORT_INTERVAL")) ? DefaultExportInterval : (TimeSpan?)null;
        var metrics = metricsEndpoint is null
            ? null
            : Sdk.CreateMeterProviderBuilder()
                .ConfigureResource(Describe)
                .AddMeter(BatchDiagnostics.MeterName)
                .AddOtlpExporter((_, reader) =>
                {
                    if (interval is { } every)
                    {
                        reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)every.TotalMilliseconds;
                    }
                })
                .Build();
        return new CliTelemetry(traces, metrics, tracesEndpoint ?? metricsEndpoint!);
    }

    /// <summary>Exports what is left (the run's span, the final values of the counters) and stops the exporters, each
    /// signal within <see cref="FlushTimeout"/>.</summary>
    public void Dispose()
    {
        var timeout = (int)FlushTimeout.TotalMilliseconds;
        // Traces first: the run's span ends with the run, and a metric export that hangs must not cost it.
        if (_traces is not null)
        {
            _traces.Shutdown(timeout);
            _traces.Dispose();
        }

        if (_metrics is not null)
        {
            _metrics.Shutdown(timeout);
            _metrics.Dispose();
        }
    }

    private static string? Version => typeof(CliTelemetry).Assembly.GetName().Version?.ToString();

    /// <summary>The endpoint of one signal: its own variable, else the common one; none when its exporter is <c>none</c>.</summary>
    /// <exception cref="ArgumentException">The endpoint is not an http(s) URL (the SDK would quietly send elsewhere).</exception>
    private static string? SignalEndpoint(Func<string, string?> environment, string? common, string own, string exporter)
    {
        if (string.Equals(environment(exporter)?.Trim(), "none", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var (variable, endpoint) = string.IsNullOrWhiteSpace(environment(own)) ? ("OTEL_EXPORTER_OTLP_ENDPOINT", common) : (own, environment(own));
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            return null;
        }

        return Uri.TryCreate(endpoint.Trim(), UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? endpoint.Trim()
            : throw new ArgumentException($"{variable} '{endpoint}' is not an http:// or https:// URL (e.g. http://otel-collector:4317); correct it or unset it");
    }

    private static bool IsTrue(string? value) => string.Equals(value?.Trim(), "true", StringComparison.OrdinalIgnoreCase);
}
