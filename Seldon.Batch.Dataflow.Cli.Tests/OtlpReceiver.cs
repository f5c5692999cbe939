using System.IO.Compression;
using Google.Protobuf;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow.Cli.Tests.Otlp;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>An OTLP/HTTP endpoint on a loopback port (Kestrel): takes what the executable's real exporter sends to
/// <c>/v1/metrics</c> and <c>/v1/traces</c> (protobuf, as <c>OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf</c> sends it),
/// decodes it with the test's own subset of opentelemetry-proto, and keeps it for the test to read.</summary>
internal sealed class OtlpReceiver : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly List<ExportMetricsServiceRequest> _metrics = [];
    private readonly List<ExportTraceServiceRequest> _traces = [];
    private readonly object _gate = new();
    private TaskCompletionSource _arrived = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private OtlpReceiver(WebApplication app) => _app = app;

    /// <summary>The base URL to give as <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (the exporter adds <c>/v1/metrics</c> and <c>/v1/traces</c>).</summary>
    public string Endpoint { get; private set; } = "";

    /// <summary>Every request received so far, of both signals.</summary>
    public int Requests
    {
        get
        {
            lock (_gate)
            {
                return _metrics.Count + _traces.Count;
            }
        }
    }

    public static async Task<OtlpReceiver> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var receiver = new OtlpReceiver(app);
        app.MapPost("/v1/metrics", async context =>
        {
            var request = ExportMetricsServiceRequest.Parser.ParseFrom(await BodyAsync(context.Request));
            receiver.Add(() => receiver._metrics.Add(request));
            await AnswerAsync(context.Response, new ExportMetricsServiceResponse());
        });
        app.MapPost("/v1/traces", async context =>
        {
            var request = ExportTraceServiceRequest.Parser.ParseFrom(await BodyAsync(context.Request));
            receiver.Add(() => receiver._traces.Add(request));
            await AnswerAsync(context.Response, new ExportTraceServiceResponse());
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        receiver.Endpoint = address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
        return receiver;
    }

    /// <summary>The environment that sends a run's telemetry here, over HTTP with protobuf bodies.</summary>
    public Dictionary<string, string> Environment() => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = Endpoint,
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
    };

    /// <summary>Every span received, with its resource.</summary>
    public IReadOnlyList<(Resource Resource, Span Span)> Spans()
    {
        lock (_gate)
        {
            return [.. _traces.SelectMany(t => t.ResourceSpans).SelectMany(r => r.ScopeSpans.SelectMany(s => s.Spans).Select(span => (r.Resource, span)))];
        }
    }

    /// <summary>Every metric of every export, in the order received, with its resource.</summary>
    public IReadOnlyList<(Resource Resource, Metric Metric)> Metrics()
    {
        lock (_gate)
        {
            return [.. _metrics.SelectMany(m => m.ResourceMetrics).SelectMany(r => r.ScopeMetrics.SelectMany(s => s.Metrics).Select(metric => (r.Resource, metric)))];
        }
    }

    /// <summary>The last export of the metric <paramref name="name"/> (cumulative: its values at the end of the run).</summary>
    public Metric? Last(string name) => Metrics().LastOrDefault(m => m.Metric.Name == name).Metric;

    /// <summary>The sum of a counter's last exported points over all their attributes.</summary>
    public long? Total(string name) => Last(name) is { } metric ? metric.Sum.DataPoints.Sum(p => p.AsInt) : null;

    /// <summary>Completes when <paramref name="condition"/> holds, checked each time something arrives.</summary>
    public async Task WaitForAsync(Func<OtlpReceiver, bool> condition, TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        while (true)
        {
            Task arrived;
            lock (_gate)
            {
                arrived = _arrived.Task;
            }

            if (condition(this))
            {
                return;
            }

            await arrived.WaitAsync(cancel.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Add(Action add)
    {
        TaskCompletionSource arrived;
        lock (_gate)
        {
            add();
            arrived = _arrived;
            _arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        arrived.TrySetResult();
    }

    private static async Task<byte[]> BodyAsync(HttpRequest request)
    {
        using var body = new MemoryStream();
        var source = request.Headers.ContentEncoding.ToString() == "gzip" ? new GZipStream(request.Body, CompressionMode.Decompress) : request.Body;
        await source.CopyToAsync(body);
        return body.ToArray();
    }

    private static async Task AnswerAsync(HttpResponse response, IMessage answer)
    {
        response.ContentType = "application/x-protobuf";
        await response.Body.WriteAsync(answer.ToByteArray());
    }
}
