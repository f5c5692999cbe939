using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>The Open Inference Protocol over REST, shaped like MLServer's: health, server and model metadata, model
/// readiness and inference, on the model's own paths (<c>/v2/…</c>) and behind a Seldon Core 1 ingress
/// (<c>/seldon/{namespace}/{deployment}/v2/…</c>). Inference goes through the same fault injection as the Seldon
/// routes; answers of 500 bytes or more are gzip-compressed when the client accepts gzip, as MLServer does.</summary>
internal sealed class OpenInferenceRestEndpoint(FaultInjector faults, ServerStatistics statistics, bool fixedAnswer, bool answerPosition = false)
{
    private const int GzipFrom = 500;

    public void Map(IEndpointRouteBuilder routes)
    {
        // A RequestDelegate, not a lambda of its own shape: ASP.NET Core builds a handler for the latter by reflection,
        // which the native seldon-batch-processor (Native AOT) cannot do.
        RequestDelegate ok = static _ => Task.CompletedTask;
        foreach (var prefix in (ReadOnlySpan<string>)["", "/seldon/{namespace}/{deployment}"])
        {
            routes.MapGet(prefix + "/v2/health/live", ok);
            routes.MapGet(prefix + "/v2/health/ready", ok);
            routes.MapGet(prefix + "/v2", (HttpContext c) => WriteAsync(c, 200, """{"name":"seldon-batch-dataflow-demo","version":"1","extensions":[]}"""u8.ToArray()));
            foreach (var model in (ReadOnlySpan<string>)["/v2/models/{model}", "/v2/models/{model}/versions/{version}"])
            {
                routes.MapGet(prefix + model, (HttpContext c) => AnswerModelAsync(c, ready: false));
                routes.MapGet(prefix + model + "/ready", (HttpContext c) => AnswerModelAsync(c, ready: true));
                routes.MapPost(prefix + model + "/infer", InferAsync);
            }
        }
    }

    private Task AnswerModelAsync(HttpContext context, bool ready)
    {
        try
        {
            OpenInferenceModels.Require(Route(context, "model"), Route(context, "version"));
            return ready ? WriteAsync(context, 200, []) : WriteAsync(context, 200, InferenceJson.WriteMetadata());
        }
        catch (InferenceFailure failure)
        {
            return WriteAsync(context, failure.HttpStatus, InferenceJson.WriteError(failure));
        }
    }

    private async Task InferAsync(HttpContext context)
    {
        var headers = context.Request.Headers;
        if (!faults.Authorize(name => headers.TryGetValue(name, out var value) ? value.ToString() : null))
        {
            await WriteAsync(context, 401, """{"error":"missing or wrong X-Auth-Token"}"""u8.ToArray());
            return;
        }

        var decision = faults.Admit(SeldonMethod.Predict);
        if (decision.Drop)
        {
            context.Abort();
            return;
        }

        var cancellation = context.RequestAborted;
        try
        {
            if (decision.Fail)
            {
                await WriteAsync(context, faults.FailStatus, """{"error":"injected failure"}"""u8.ToArray());
                return;
            }

            if (decision.Delay > TimeSpan.Zero)
            {
                await Task.Delay(decision.Delay, cancellation);
            }

            byte[] answer;
            try
            {
                OpenInferenceModels.Require(Route(context, "model"), Route(context, "version"));
                var call = InferenceJson.ReadCall(await ReadBodyAsync(context.Request, cancellation));
                var id = call.Id.Length > 0 ? call.Id : Guid.NewGuid().ToString();
                answer = InferenceJson.WriteAnswer(fixedAnswer ? FixedInferenceAnswer.For(call, id) : DemoInferenceModel.Infer(call, id, answerPosition));
            }
            catch (InferenceFailure failure)
            {
                if (failure.HttpStatus is 400 or 422)
                {
                    statistics.CountBadRequest();
                }

                await WriteAsync(context, failure.HttpStatus, InferenceJson.WriteError(failure));
                return;
            }

            await WriteAsync(context, 200, answer);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The client went away (or the server is stopping): there is nobody left to answer.
        }
    }

    private static string Route(HttpContext context, string name) => context.GetRouteValue(name) as string ?? "";

    private static async Task<ReadOnlyMemory<byte>> ReadBodyAsync(HttpRequest request, CancellationToken cancellation)
    {
        using var body = new MemoryStream();
        var source = request.Headers.ContentEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase)
            ? new GZipStream(request.Body, CompressionMode.Decompress)
            : request.Body;
        await source.CopyToAsync(body, cancellation);
        return body.GetBuffer().AsMemory(0, (int)body.Length);
    }

    private async Task WriteAsync(HttpContext context, int status, byte[] body)
    {
        var response = context.Response;
        response.StatusCode = status;
        if (body.Length == 0)
        {
            return;
        }

        response.ContentType = "application/json";
        if (body.Length >= GzipFrom && context.Request.Headers.AcceptEncoding.ToString().Contains("gzip", StringComparison.OrdinalIgnoreCase))
        {
            using var compressed = new MemoryStream();
            using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
            {
                gzip.Write(body);
            }

            body = compressed.ToArray();
            response.Headers.ContentEncoding = "gzip";
            response.Headers.Vary = "Accept-Encoding";
            statistics.CountGzipAnswer();
        }

        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, context.RequestAborted);
    }
}
