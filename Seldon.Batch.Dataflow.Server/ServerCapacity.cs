using System.Diagnostics;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// A model's hidden capacity, in front of every prediction route (REST and gRPC, both protocols): at most
/// <see cref="ServeOptions.Capacity"/> requests are processed at once (their <see cref="ServeOptions.DelayMs"/> is the
/// service time) and the others queue; a request arriving when <see cref="ServeOptions.RejectAbove"/> are already in the
/// server is answered 429 (gRPC ResourceExhausted) at once. Each answered request's time in the server (queue and
/// service) goes to <see cref="ServerStatistics.Latency"/>.
/// </summary>
/// <remarks>A client that sends more than the capacity gains no throughput, only latency: what a well-behaved batch
/// client must find out for itself (<c>--workers auto</c>).</remarks>
internal sealed class ServerCapacity
{
    private static readonly byte[] BusyBody = "{\"error\":\"the server is busy: too many requests at once (serve --reject-above)\"}"u8.ToArray();

    private readonly SemaphoreSlim? _service;
    private readonly int _rejectAbove;
    private readonly ServerStatistics _statistics;
    private int _inServer;

    public ServerCapacity(ServeOptions options, ServerStatistics statistics)
    {
        _service = options.Capacity > 0 ? new SemaphoreSlim(options.Capacity, options.Capacity) : null;
        _rejectAbove = options.RejectAbove;
        _statistics = statistics;
    }

    /// <summary>The middleware: other requests (readiness, metadata, statistics) pass straight through.</summary>
    public async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        if (!IsPrediction(context.Request))
        {
            await next(context);
            return;
        }

        long arrived = Stopwatch.GetTimestamp();
        int inServer = Interlocked.Increment(ref _inServer);
        try
        {
            _statistics.NoteInServer(inServer);
            if (_rejectAbove > 0 && inServer > _rejectAbove)
            {
                _statistics.CountRejected();
                await RejectAsync(context);
                return;
            }

            if (_service is not null)
            {
                try
                {
                    await _service.WaitAsync(context.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    return; // the client went away while queued
                }
            }

            try
            {
                await next(context);
            }
            finally
            {
                _service?.Release();
            }

            _statistics.RecordLatency(Stopwatch.GetElapsedTime(arrived));
        }
        finally
        {
            Interlocked.Decrement(ref _inServer);
        }
    }

    /// <summary>Whether a request is a prediction or feedback call, whose load the capacity models.</summary>
    internal static bool IsPrediction(HttpRequest request)
    {
        if (!HttpMethods.IsPost(request.Method))
        {
            return false;
        }

        string path = request.Path.Value ?? "";
        return path.EndsWith("/predictions", StringComparison.Ordinal) || path.EndsWith("/feedback", StringComparison.Ordinal)
            || path.EndsWith("/infer", StringComparison.Ordinal) || path.EndsWith("/Predict", StringComparison.Ordinal)
            || path.EndsWith("/SendFeedback", StringComparison.Ordinal) || path.EndsWith("/ModelInfer", StringComparison.Ordinal);
    }

    /// <summary>429 over REST; over gRPC a trailers-only answer with ResourceExhausted, as an overloaded gRPC server sends.</summary>
    private static Task RejectAsync(HttpContext context)
    {
        if (context.Request.ContentType?.StartsWith("application/grpc", StringComparison.Ordinal) == true)
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            context.Response.ContentType = "application/grpc";
            context.Response.Headers["grpc-status"] = "8"; // ResourceExhausted
            context.Response.Headers["grpc-message"] = "the server is busy (serve --reject-above)";
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status429TooManyRequests;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = BusyBody.Length;
        return context.Response.Body.WriteAsync(BusyBody, context.RequestAborted).AsTask();
    }

    /// <summary>Answers <c>GET /stats</c>: the counts and the latency percentiles as one JSON object; <c>?reset=true</c>
    /// starts the latency over after reading it (a benchmark measures one run at a time).</summary>
    public static Task StatsAsync(HttpContext context, ServerStatistics statistics)
    {
        var reset = string.Equals(context.Request.Query["reset"], "true", StringComparison.OrdinalIgnoreCase);
        var body = Encoding.UTF8.GetBytes(statistics.ToJson(reset));
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = body.Length;
        return context.Response.Body.WriteAsync(body, context.RequestAborted).AsTask();
    }
}
