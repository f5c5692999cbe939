using System.Text;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.ObjectPool;
using Seldon.Protos;
using GrpcStatus = Grpc.Core.Status;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// The gRPC side of the demo server: <c>seldon.protos.Seldon</c>. It converts messages to and from JSON with
/// Google.Protobuf's own formatter and parser, so that it runs the very model the REST side runs.
/// </summary>
internal sealed class SeldonGrpcService(
    ModelRunner runner, FaultInjector faults, ObjectPool<RequestBuffers> pool, ServerStatistics? statistics = null)
    : global::Seldon.Protos.Seldon.SeldonBase
{
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default);
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));

    /// <inheritdoc />
    public override Task<SeldonMessage> Predict(SeldonMessage request, ServerCallContext context) =>
        AnswerAsync(SeldonMethod.Predict, request, context);

    /// <inheritdoc />
    public override Task<SeldonMessage> SendFeedback(Feedback request, ServerCallContext context) =>
        AnswerAsync(SeldonMethod.Feedback, request, context);

    /// <summary>The gRPC status of an injected failure with the given HTTP status.</summary>
    internal static StatusCode MapInjectedStatus(int httpStatus) => httpStatus switch
    {
        500 => StatusCode.Internal,
        503 => StatusCode.Unavailable,
        429 => StatusCode.ResourceExhausted,
        400 => StatusCode.InvalidArgument,
        _ => StatusCode.Unknown,
    };

    /// <summary>Authorization and fault injection, before any answer: throws the RpcException the client gets.</summary>
    internal async Task AdmitAsync(SeldonMethod method, ServerCallContext context)
    {
        // The call's HTTP/2 headers, read where Kestrel keeps them: context.RequestHeaders would build a Metadata copy
        // of them all on every call (the largest part of the fixed-answer server's own work per call), with the same
        // values for the text headers watched here; host is HTTP/2's :authority, which it leaves out.
        var headers = context.GetHttpContext().Request.Headers;
        if (!faults.Authorize(name => headers.TryGetValue(name, out var value) ? value.ToString() : null))
        {
            throw new RpcException(new GrpcStatus(StatusCode.Unauthenticated, "missing or wrong x-auth-token"));
        }

        FaultDecision decision = faults.Admit(method);
        if (decision.Drop)
        {
            // Resets the HTTP/2 stream: the client gets no status from the server, as with a lost connection.
            context.GetHttpContext().Abort();
            throw new RpcException(new GrpcStatus(StatusCode.Unavailable, "connection dropped on purpose"));
        }

        if (decision.GatewayDown)
        {
            throw new RpcException(new GrpcStatus(StatusCode.Unavailable, "no healthy upstream"));
        }

        if (decision.Fail)
        {
            throw new RpcException(new GrpcStatus(MapInjectedStatus(faults.FailStatus), "injected failure"));
        }

        if (decision.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(decision.Delay, context.CancellationToken);
            }
            catch (OperationCanceledException)
            {
                throw new RpcException(new GrpcStatus(StatusCode.Cancelled, "the call was cancelled while delayed"));
            }
        }
    }

    /// <summary>Holds a call whose rows hold the slow value, until its deadline or the client gives up.</summary>
    private async Task SlowAsync(ServerCallContext context)
    {
        try
        {
            await Task.Delay(faults.SlowDelay, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
            throw new RpcException(new GrpcStatus(StatusCode.Cancelled, "the call was cancelled while slow"));
        }
    }

    /// <summary>Counts the call (its connection, the calls at once) while <paramref name="answer"/> runs.</summary>
    internal async Task<T> CountedAsync<T>(ServerCallContext context, Func<Task<T>> answer)
    {
        if (statistics is null)
        {
            return await answer();
        }

        using var scope = statistics.EnterGrpcCall(context.GetHttpContext().Connection.Id);
        return await answer();
    }

    private Task<SeldonMessage> AnswerAsync(SeldonMethod method, IMessage request, ServerCallContext context) =>
        CountedAsync(context, () => AnswerCoreAsync(method, request, context));

    private async Task<SeldonMessage> AnswerCoreAsync(SeldonMethod method, IMessage request, ServerCallContext context)
    {
        await AdmitAsync(method, context);
        if (request is SeldonMessage { DataOneofCase: SeldonMessage.DataOneofOneofCase.CustomData } custom)
        {
            return EchoCustomData(custom);
        }

        RequestBuffers buffers = pool.Get();
        try
        {
            string json;
            ModelOutcome outcome;
            string? problem;
            try
            {
                json = Formatter.Format(request);
                var utf8 = Encoding.UTF8.GetBytes(json);
                if (faults.Slows(utf8))
                {
                    await SlowAsync(context);
                }

                if (faults.Refuses(utf8))
                {
                    throw new RpcException(new GrpcStatus(
                        faults.RefuseStatus == 400 ? StatusCode.InvalidArgument : StatusCode.Internal, SeldonStatusBody.RefusedInfo));
                }

                outcome = runner.Run(method, json, buffers, out problem);
            }
            catch (InvalidOperationException exception)
            {
                // The formatter cannot write a google.protobuf.Any whose type it does not know.
                outcome = runner.Reject(buffers, $"The message cannot be read: {exception.Message}", out problem);
            }

            return outcome switch
            {
                ModelOutcome.Answered => Parser.Parse<SeldonMessage>(Encoding.UTF8.GetString(buffers.Answer.WrittenSpan)),
                ModelOutcome.BadData => throw new RpcException(new GrpcStatus(StatusCode.InvalidArgument, problem ?? "bad data")),
                _ => throw new RpcException(new GrpcStatus(StatusCode.Internal, problem ?? "model failure")),
            };
        }
        finally
        {
            pool.Return(buffers);
        }
    }

    /// <summary>
    /// Answers a customData request as the REST side does (the payload echoed), without the JSON round trip:
    /// the JSON formatter cannot write an Any whose type is unknown to this server.
    /// </summary>
    private static SeldonMessage EchoCustomData(SeldonMessage request)
    {
        var meta = new Meta { Puid = request.Meta?.Puid ?? string.Empty };
        if (request.Meta is not null)
        {
            foreach (var (name, value) in request.Meta.Tags)
            {
                meta.Tags[name] = value.Clone();
            }
        }

        meta.Tags["model"] = Value.ForString(DemoModel.ModelName);
        return new SeldonMessage { CustomData = request.CustomData.Clone(), Meta = meta };
    }
}
