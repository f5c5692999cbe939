using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.ObjectPool;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// The REST side of the demo server: the prediction and feedback routes of every gateway, with the
/// configured faults applied before the model runs.
/// </summary>
internal sealed class RestPredictionEndpoint
{
    private const string JsonContentType = "application/json";

    private readonly ModelRunner _runner;
    private readonly FaultInjector _faults;
    private readonly ObjectPool<RequestBuffers> _pool;
    private readonly FixedAnswers? _fixedAnswers;
    private readonly byte[] _injectedFailureBody;
    private readonly byte[] _unauthorizedBody;
    private readonly byte[] _refusedBody;
    private static readonly byte[] NoHealthyUpstream = "no healthy upstream"u8.ToArray();

    public RestPredictionEndpoint(ModelRunner runner, FaultInjector faults, ObjectPool<RequestBuffers> pool, FixedAnswers? fixedAnswers = null)
    {
        _runner = runner;
        _fixedAnswers = fixedAnswers;
        _faults = faults;
        _pool = pool;

        // Every injected failure has the same answer: write it once.
        var body = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(body))
        {
            SeldonStatusBody.Write(writer, faults.FailStatus, "injected failure", SeldonStatusBody.InjectedFaultReason);
        }

        _injectedFailureBody = body.WrittenSpan.ToArray();
        body.Clear();
        using (var writer = new Utf8JsonWriter(body))
        {
            SeldonStatusBody.Write(writer, StatusCodes.Status401Unauthorized, "missing or wrong X-Auth-Token", "UNAUTHORIZED");
        }

        _unauthorizedBody = body.WrittenSpan.ToArray();
        body.Clear();
        using (var writer = new Utf8JsonWriter(body))
        {
            SeldonStatusBody.WriteRefusal(writer, faults.RefuseStatus);
        }

        _refusedBody = body.WrittenSpan.ToArray();
    }

    /// <summary>Answers <c>POST …/api/v1.0/predictions</c>.</summary>
    public Task PredictAsync(HttpContext context) => AnswerAsync(context, SeldonMethod.Predict);

    /// <summary>Answers <c>POST …/api/v1.0/feedback</c>.</summary>
    public Task FeedbackAsync(HttpContext context) => AnswerAsync(context, SeldonMethod.Feedback);

    private async Task AnswerAsync(HttpContext context, SeldonMethod method)
    {
        var headers = context.Request.Headers;
        if (!_faults.Authorize(name => headers.TryGetValue(name, out var value) ? value.ToString() : null))
        {
            await WriteJsonAsync(context.Response, StatusCodes.Status401Unauthorized, _unauthorizedBody, context.RequestAborted);
            return;
        }

        FaultDecision decision = _faults.Admit(method);
        if (decision.Drop)
        {
            context.Abort();
            return;
        }

        if (decision.GatewayDown)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.ContentType = "text/plain";
            await context.Response.BodyWriter.WriteAsync(NoHealthyUpstream, context.RequestAborted);
            return;
        }

        CancellationToken cancellation = context.RequestAborted;
        try
        {
            if (decision.Fail)
            {
                await WriteJsonAsync(context.Response, _faults.FailStatus, _injectedFailureBody, cancellation);
                return;
            }

            if (decision.Delay > TimeSpan.Zero)
            {
                await Task.Delay(decision.Delay, cancellation);
            }

            await AnswerBodyAsync(context, method, cancellation);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The client went away (or the server is stopping): there is nobody left to answer.
        }
    }

    /// <summary>Reads the body and answers it: slowed or refused as the faults say, else a fixed answer or the model's.</summary>
    private async Task AnswerBodyAsync(HttpContext context, SeldonMethod method, CancellationToken cancellation)
    {
        RequestBuffers buffers = _pool.Get();
        try
        {
            await ReadBodyAsync(context.Request.BodyReader, buffers.Body, cancellation);
            if (_faults.Slows(buffers.Body.WrittenSpan))
            {
                await Task.Delay(_faults.SlowDelay, cancellation);
            }

            if (_faults.Refuses(buffers.Body.WrittenSpan))
            {
                await WriteJsonAsync(context.Response, _faults.RefuseStatus, _refusedBody, cancellation);
                return;
            }

            if (_fixedAnswers is not null && method == SeldonMethod.Predict)
            {
                await WriteJsonAsync(context.Response, StatusCodes.Status200OK, _fixedAnswers.Answer(buffers.Body.WrittenSpan), cancellation);
                return;
            }

            ModelOutcome outcome = _runner.Run(method, buffers.Body.WrittenMemory, buffers, out _);
            int status = outcome switch
            {
                ModelOutcome.Answered => StatusCodes.Status200OK,
                ModelOutcome.BadData => StatusCodes.Status400BadRequest,
                _ => StatusCodes.Status500InternalServerError,
            };
            await WriteJsonAsync(context.Response, status, buffers.Answer.WrittenMemory, cancellation);
        }
        finally
        {
            _pool.Return(buffers);
        }
    }

    private static async Task ReadBodyAsync(PipeReader reader, ArrayBufferWriter<byte> body, CancellationToken cancellation)
    {
        // Copied out and consumed as it arrives: leaving a large body unconsumed in the pipe until it is
        // complete could stall the connection's own buffering.
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellation);
            foreach (ReadOnlyMemory<byte> segment in result.Buffer)
            {
                body.Write(segment.Span);
            }

            reader.AdvanceTo(result.Buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }

    private static async Task WriteJsonAsync(HttpResponse response, int status, ReadOnlyMemory<byte> body, CancellationToken cancellation)
    {
        response.StatusCode = status;
        response.ContentType = JsonContentType;
        response.ContentLength = body.Length;
        await response.BodyWriter.WriteAsync(body, cancellation);
    }
}
