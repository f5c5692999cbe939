using Seldon.Batch.Dataflow.Server.OpenInference;
using System.Security.Cryptography.X509Certificates;
using System.Net;
using System.Net.Sockets;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.ObjectPool;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// A model server that speaks the Seldon protocol over REST and gRPC, with a deterministic demo model and
/// configurable faults: for <c>serve</c>, <c>make run</c>, tests and benchmarks without a cluster.
/// </summary>
/// <remarks>
/// <para>
/// REST (HTTP/1.1): <c>POST /api/v1.0/predictions</c> and <c>POST /api/v1.0/feedback</c> (the seldon gateway),
/// <c>POST /seldon/{namespace}/{deployment}/api/v1.0/predictions</c> and <c>…/feedback</c> (istio and
/// ambassador; any namespace and deployment), and <c>GET /health/ping</c>, which answers <c>pong</c>.
/// gRPC (HTTP/2 without TLS): the service <c>seldon.protos.Seldon</c> with <c>Predict</c> and
/// <c>SendFeedback</c>.
/// </para>
/// <para>
/// The Open Inference Protocol (V2) too, shaped like MLServer: REST <c>/v2/models/demo[/versions/1]/infer</c>,
/// <c>…/ready</c>, the metadata at <c>/v2/models/demo</c> (also behind <c>/seldon/{namespace}/{deployment}</c>), and the
/// gRPC service <c>inference.GRPCInferenceService</c>. The one model is <c>demo</c>; any other name gets 404 (NotFound).
/// Each input comes back as the output of the same name with numbers doubled and texts upper-cased.
/// </para>
/// <para>
/// The model doubles numbers (ndarray, tensor, tftensor) and names the answer's columns <c>t:0</c>, <c>t:1</c>, …,
/// upper-cases <c>strData</c>, wraps <c>jsonData</c> as <c>{"model":"demo","input":…}</c>, echoes
/// <c>binData</c>, and echoes the request's <c>meta.tags</c> (numbers as floats) with its own tag
/// <c>"model": "demo"</c>. Invalid messages get HTTP 400 (<c>MICROSERVICE_BAD_DATA</c>, gRPC InvalidArgument);
/// valid messages the model cannot compute, such as non-numeric data, get HTTP 500
/// (<c>MICROSERVICE_INTERNAL_ERROR</c>, gRPC Internal).
/// </para>
/// </remarks>
public sealed partial class DemoModelServer : IAsyncDisposable
{
    /// <summary>How long stopping waits for requests in flight before it aborts them.</summary>
    private static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(5);

    // Benchmarks send large micro-batches; the gRPC default of 4 MiB would reject them before the model sees them.
    private const int MaxGrpcMessageSize = 64 * 1024 * 1024;

    private readonly WebApplication _application;
    private readonly ILogger _logger;
    private int _stopping;

    private DemoModelServer(WebApplication application, ILogger logger, ServerStatistics statistics, IPAddress address, int restPort, int grpcPort, bool tls)
    {
        _application = application;
        _logger = logger;
        Statistics = statistics;
        RestPort = restPort;
        GrpcPort = grpcPort;

        // A server bound to every interface is still reached through the loopback by the processes that use it.
        IPAddress reachable = address.Equals(IPAddress.Any) ? IPAddress.Loopback
            : address.Equals(IPAddress.IPv6Any) ? IPAddress.IPv6Loopback
            : address;
        string host = reachable.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{reachable}]" : reachable.ToString();
        string scheme = tls ? "https" : "http";
        RestBaseAddress = new Uri($"{scheme}://{host}:{restPort}");
        GrpcAddress = grpcPort > 0 ? $"{scheme}://{host}:{grpcPort}" : string.Empty;
    }

    /// <summary>The port the REST endpoint is bound to.</summary>
    public int RestPort { get; }

    /// <summary>The port the gRPC endpoint is bound to, or -1 when gRPC is disabled.</summary>
    public int GrpcPort { get; }

    /// <summary>The base address of the REST endpoint, e.g. <c>http://127.0.0.1:5000</c>.</summary>
    public Uri RestBaseAddress { get; }

    /// <summary>
    /// The address to give <c>GrpcChannel.ForAddress</c>, e.g. <c>http://127.0.0.1:5001</c>; empty when gRPC is disabled.
    /// </summary>
    public string GrpcAddress { get; }

    /// <summary>What the server has seen since it started.</summary>
    public ServerStatistics Statistics { get; }

    /// <summary>Validates the options, binds the endpoints and starts serving.</summary>
    /// <param name="options">Where to listen and which faults to inject; read once, here.</param>
    /// <param name="loggerFactory">
    /// Where the server logs. The web host's own logs (Kestrel, ASP.NET Core, gRPC) go there too, from
    /// warnings up, or everything when this factory has debug enabled for <c>Seldon.Batch.Dataflow.Server</c>.
    /// Null logs nothing.
    /// </param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <returns>The running server; dispose it to stop it.</returns>
    /// <exception cref="ArgumentException">An option is out of range.</exception>
    /// <exception cref="IOException">A port is already in use.</exception>
    public static async Task<DemoModelServer> StartAsync(
        ServeOptions options, ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        loggerFactory ??= NullLoggerFactory.Instance;

        var statistics = new ServerStatistics();
        var faults = new FaultInjector(options, statistics, loggerFactory.CreateLogger<FaultInjector>());
        var runner = new ModelRunner(new DemoModel(options.AnswerPosition), statistics, loggerFactory.CreateLogger<ModelRunner>());
        ObjectPool<RequestBuffers> pool = ObjectPool.Create<RequestBuffers>();
        FixedAnswers? fixedAnswers = options.FixedAnswer ? new FixedAnswers() : null;
        var rest = new RestPredictionEndpoint(runner, faults, pool, fixedAnswers);
        var grpc = new SeldonGrpcService(runner, faults, pool, statistics);
        IPAddress address = ParseAddress(options.Host);

        WebApplicationBuilder builder = CreateBuilder(loggerFactory);
        Listeners listeners = Listen(builder, address, options);
        AddGrpcServices(builder, grpc, options, fixedAnswers);

        WebApplication application = builder.Build();
        UseGatewayFilters(application, faults, statistics, options);
        if (options.Capacity > 0 || options.RejectAbove > 0)
        {
            // Only then: a fixed-answer benchmark server keeps its requests free of the middleware and its lock.
            application.Use(new ServerCapacity(options, statistics).InvokeAsync);
        }

        MapEndpoints(application, rest, faults, statistics, options, fixedAnswers);

        try
        {
            await application.StartAsync(cancellationToken);
        }
        catch
        {
            await application.DisposeAsync();
            throw;
        }

        int restPort = BoundPort(listeners.Rest);
        int grpcPort = listeners.Grpc is null ? -1 : BoundPort(listeners.Grpc);
        ILogger logger = loggerFactory.CreateLogger<DemoModelServer>();
        var server = new DemoModelServer(application, logger, statistics, address, restPort, grpcPort, options.UseTls);
        LogStarted(logger, server.RestBaseAddress, grpcPort > 0 ? server.GrpcAddress : "disabled");
        return server;
    }

    private static WebApplicationBuilder CreateBuilder(ILoggerFactory loggerFactory)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // The endpoints are the options' alone. Addresses from the environment (ASPNETCORE_URLS, or the
            // ASPNETCORE_HTTP_PORTS that container images set) would only make the host warn that it ignores
            // them; command-line settings are the host configuration's last word, so blank them there.
            Args = ["--urls=", "--http_ports=", "--https_ports="],
            ApplicationName = typeof(DemoModelServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        ConfigureLogging(builder.Logging, loggerFactory);
        builder.Services.AddSingleton<IHostLifetime, EmbeddedHostLifetime>();
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        return builder;
    }

    /// <summary>Listens on the REST port (HTTP/1.1) and, unless disabled, the gRPC port (HTTP/2), with TLS when asked.</summary>
    private static Listeners Listen(WebApplicationBuilder builder, IPAddress address, ServeOptions options)
    {
        // Kestrel writes the port it actually bound into these options, which is how ephemeral ports are learnt.
        var listeners = new Listeners();
        X509Certificate2? certificate = options.UseTls ? SelfSignedCertificate.Create() : null;
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(address, options.RestPort, listen =>
            {
                listen.Protocols = HttpProtocols.Http1;
                if (certificate is not null)
                {
                    listen.UseHttps(certificate);
                }

                listeners.Rest = listen;
            });
            if (options.GrpcPort >= 0)
            {
                kestrel.Listen(address, options.GrpcPort, listen =>
                {
                    // HTTP/2 only: without TLS there is no protocol negotiation, so gRPC clients speak h2c directly.
                    listen.Protocols = HttpProtocols.Http2;
                    if (certificate is not null)
                    {
                        listen.UseHttps(certificate);
                    }

                    listeners.Grpc = listen;
                });
            }
        });
        return listeners;
    }

    private static void AddGrpcServices(WebApplicationBuilder builder, SeldonGrpcService grpc, ServeOptions options, FixedAnswers? fixedAnswers)
    {
        builder.Services.AddGrpc(grpcOptions =>
        {
            grpcOptions.MaxReceiveMessageSize = MaxGrpcMessageSize;
            grpcOptions.MaxSendMessageSize = MaxGrpcMessageSize;
        });
        builder.Services.AddSingleton(grpc);
        builder.Services.AddSingleton(new OpenInferenceGrpcService(grpc, options.FixedAnswer, options.AnswerPosition));
        if (fixedAnswers is not null)
        {
            builder.Services.AddSingleton(new FixedAnswerGrpcService(grpc, fixedAnswers));
            builder.Services.AddSingleton<IServiceMethodProvider<FixedAnswerGrpcService>, FixedAnswerGrpcService.MethodProvider>();
        }
    }

    /// <summary>The middleware that answers before any route: a gateway's fixed answer, and 404 for other deployments.</summary>
    private static void UseGatewayFilters(WebApplication application, FaultInjector faults, ServerStatistics statistics, ServeOptions options)
    {
        if (faults.AnswerStatus != 0)
        {
            // Before any route, on both ports: a gateway that answers every request itself.
            byte[] body = System.Text.Encoding.UTF8.GetBytes(faults.AnswerBody);
            application.Use((HttpContext context, RequestDelegate _) =>
            {
                faults.CountFixedAnswer();
                context.Response.StatusCode = faults.AnswerStatus;
                context.Response.ContentType = faults.AnswerContentType;
                context.Response.ContentLength = body.Length;
                return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
            });
        }

        if (options.Deployment.Length > 0)
        {
            application.Use((HttpContext context, RequestDelegate next) =>
            {
                if (IsOtherDeployment(context.Request, options.Deployment))
                {
                    statistics.CountUnknownRoute();
                    context.Response.StatusCode = StatusCodes.Status404NotFound;
                    return Task.CompletedTask;
                }

                return next(context);
            });
        }
    }

    private static void MapEndpoints(
        WebApplication application, RestPredictionEndpoint rest, FaultInjector faults, ServerStatistics statistics, ServeOptions options,
        FixedAnswers? fixedAnswers)
    {
        MapRoutes(application, rest);
        application.MapGet("/stats", (HttpContext context) => ServerCapacity.StatsAsync(context, statistics));
        new OpenInferenceRestEndpoint(faults, statistics, options.FixedAnswer, options.AnswerPosition).Map(application);
        application.MapGrpcService<OpenInferenceGrpcService>();
        if (fixedAnswers is not null)
        {
            application.MapGrpcService<FixedAnswerGrpcService>();
        }
        else
        {
            application.MapGrpcService<SeldonGrpcService>();
        }
    }

    /// <summary>
    /// Waits until the server is stopped, or until <paramref name="cancellationToken"/> is cancelled, in which
    /// case it stops the server and returns normally (as <c>IHost.WaitForShutdownAsync</c> does).
    /// </summary>
    public async Task WaitForShutdownAsync(CancellationToken cancellationToken = default)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (_application.Lifetime.ApplicationStopping.Register(() => stopped.TrySetResult()))
        await using (cancellationToken.Register(() => stopped.TrySetResult()))
        {
            await stopped.Task;
        }

        await StopAsync();
    }

    /// <summary>
    /// Stops accepting requests and waits (a few seconds at most) for those in flight. Calling it again does nothing.
    /// </summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopping, 1) == 1)
        {
            return;
        }

        await _application.StopAsync(CancellationToken.None);
        LogStopped(_logger, Statistics.Requests);
    }

    /// <summary>Stops the server (see <see cref="StopAsync"/>) and releases its resources.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        await _application.DisposeAsync();
    }

    private static IPAddress ParseAddress(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase) ? IPAddress.Loopback : IPAddress.Parse(host);

    private static void ConfigureLogging(ILoggingBuilder logging, ILoggerFactory loggerFactory)
    {
        logging.ClearProviders();
        if (loggerFactory is NullLoggerFactory)
        {
            return;
        }

        bool debug = loggerFactory.CreateLogger(typeof(DemoModelServer).Namespace!).IsEnabled(LogLevel.Debug);
        logging.SetMinimumLevel(debug ? LogLevel.Debug : LogLevel.Warning);

        // The host logs the failures of its start and stop as errors and then throws them to the caller, who
        // reports them (serve: one line for a busy port); logged as well, they would be said twice.
        logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", debug ? LogLevel.Debug : LogLevel.None);
        logging.AddProvider(new ForwardingLoggerProvider(loggerFactory));
    }

    private static void MapRoutes(WebApplication application, RestPredictionEndpoint rest)
    {
        RequestDelegate predict = rest.PredictAsync;
        RequestDelegate feedback = rest.FeedbackAsync;
        RequestDelegate ping = context =>
        {
            context.Response.ContentType = "text/plain";
            return context.Response.WriteAsync("pong");
        };

        application.MapPost("/api/v1.0/predictions", predict);
        application.MapPost("/api/v1.0/feedback", feedback);
        application.MapPost("/seldon/{namespace}/{deployment}/api/v1.0/predictions", predict);
        application.MapPost("/seldon/{namespace}/{deployment}/api/v1.0/feedback", feedback);
        application.MapGet("/health/ping", ping);

    }

    /// <summary>Whether a request names a deployment other than <paramref name="deployment"/>: in a gateway path, or
    /// in the <c>seldon</c> metadata of a gRPC call (which is how Seldon Core's ingress routes gRPC).</summary>
    private static bool IsOtherDeployment(HttpRequest request, string deployment)
    {
        string path = request.Path.Value ?? "";
        if (path.StartsWith("/seldon/", StringComparison.Ordinal))
        {
            string[] parts = path.Split('/', 5);
            return parts.Length >= 4 && parts[3] != deployment;
        }

        string named = request.Headers["seldon"].ToString();
        return named.Length > 0 && named != deployment
            && request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
    }

    private static int BoundPort(ListenOptions? listener) =>
        listener?.IPEndPoint?.Port ?? throw new InvalidOperationException("Kestrel did not report the port it bound.");

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo model server listening: REST {RestAddress}, gRPC {GrpcAddress}")]
    private static partial void LogStarted(ILogger logger, Uri restAddress, string grpcAddress);

    [LoggerMessage(Level = LogLevel.Information, Message = "Demo model server stopped after {Requests} requests")]
    private static partial void LogStopped(ILogger logger, long requests);

    /// <summary>The listeners Kestrel configured; it writes the port it actually bound into them, which is how ephemeral
    /// ports are learnt.</summary>
    private sealed class Listeners
    {
        public ListenOptions? Rest { get; set; }

        public ListenOptions? Grpc { get; set; }
    }
}
