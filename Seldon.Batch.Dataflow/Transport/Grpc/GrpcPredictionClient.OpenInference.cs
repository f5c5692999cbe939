using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using Inference.Grpc;

namespace Seldon.Batch.Dataflow;

// The Open Inference Protocol's service (inference.GRPCInferenceService) on the same channel, and request metadata.
internal sealed partial class GrpcPredictionClient
{
    // ModelInfer with the request's bytes as OpenInferenceProtoJson.ToWire writes them, so no request message is built,
    // and the answer read straight from its bytes to JSON when it is plain (the message otherwise, parsed here as before).
    private static readonly Method<byte[], OpenInferenceProtoJson.WireAnswer> ModelInfer = new(
        MethodType.Unary, "inference.GRPCInferenceService", "ModelInfer", Bytes,
        Marshallers.Create<OpenInferenceProtoJson.WireAnswer>(
            static _ => throw new NotSupportedException("a client only reads answers"), OpenInferenceProtoJson.ReadAnswer));

    private readonly GRPCInferenceService.GRPCInferenceServiceClient _inference;

    /// <summary>The token, the user's headers and the W3C trace context of the attempt's span when there is one; names are
    /// lower-cased, as gRPC metadata requires.</summary>
    private void AddHeaders(Metadata headers)
    {
        if (_settings.Token.Length > 0)
        {
            headers.Add("x-auth-token", _settings.Token);
        }

        foreach (var (name, value) in _settings.Headers)
        {
            headers.Add(name.ToLowerInvariant(), value);
        }

        if (BatchSpans.CurrentRequest is { } span)
        {
            BatchSpans.Inject(span, headers, static (carrier, name, value) =>
            {
                // The span's context replaces one the user's headers set.
                var metadata = (Metadata)carrier!;
                name = name.ToLowerInvariant();
                if (metadata.Get(name) is { } set)
                {
                    metadata.Remove(set);
                }

                metadata.Add(name, value);
            });
        }
    }

    private CallOptions V2CallOptions(string puid, CancellationToken ct)
    {
        var headers = new Metadata { { "seldon-puid", puid }, { "x-request-id", puid } };
        AddHeaders(headers);
        return new CallOptions(headers, DateTime.UtcNow.Add(_settings.Timeout), ct);
    }

    private async Task<PredictionResponse> InferAsync(PredictionRequest request, CancellationToken cancellationToken)
    {
        byte[] message;
        try
        {
            message = OpenInferenceProtoJson.ToWire(request, _settings.Model, _settings.ModelVersion);
        }
        catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException)
        {
            return PredictionResponse.Failed(PredictionFailureKind.Line, (int)StatusCode.InvalidArgument, $"the line is not a valid InferenceRequest for gRPC: {ex.Message}");
        }

        try
        {
            var answer = await _invoker.AsyncUnaryCall(ModelInfer, null, V2CallOptions(request.Puid, cancellationToken), message).ResponseAsync.ConfigureAwait(false);
            return PredictionResponse.SuccessUtf8(answer.ToUtf8Json(), (int)StatusCode.OK);
        }
        catch (RpcException ex) when (!(ex.StatusCode == StatusCode.Cancelled && cancellationToken.IsCancellationRequested))
        {
            return Failure(ex);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
        catch (FormatException ex)
        {
            return PredictionResponse.Failed(PredictionFailureKind.Line, 502, $"unusable answer from {_address}: {ex.Message}");
        }
    }

    /// <inheritdoc />
    async Task<ModelInspection> IModelInspector.InspectAsync(CancellationToken cancellationToken)
    {
        var model = $"model '{_settings.Model}'{(_settings.ModelVersion.Length > 0 ? $" version '{_settings.ModelVersion}'" : "")}";
        try
        {
            var ready = await _inference.ModelReadyAsync(
                new ModelReadyRequest { Name = _settings.Model, Version = _settings.ModelVersion },
                V2CallOptions(RequestIds.Next(), cancellationToken)).ResponseAsync.ConfigureAwait(false);
            if (!ready.Ready)
            {
                return ModelInspection.Failed(ModelState.NotReady, $"{model} at {_address} is not ready");
            }

            var metadata = await _inference.ModelMetadataAsync(
                new ModelMetadataRequest { Name = _settings.Model, Version = _settings.ModelVersion },
                V2CallOptions(RequestIds.Next(), cancellationToken)).ResponseAsync.ConfigureAwait(false);
            return new ModelInspection(ModelState.Ready, "", [.. metadata.Inputs.Select(i => (i.Name, i.Datatype))], [.. metadata.Outputs.Select(o => o.Name)]);
        }
        catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
        {
            // MLServer answers ModelReady for an unknown model with Unknown ("ModelNotFound"), not NotFound.
            var unknown = ex.StatusCode == StatusCode.NotFound
                || (ex.StatusCode == StatusCode.Unknown && ex.Status.Detail.Contains("not found", StringComparison.OrdinalIgnoreCase));
            var failure = Failure(ex).Failure!;
            return unknown ? ModelInspection.Failed(ModelState.Unknown, $"{_address} does not know {model}: {failure}")
                : failure.Kind == PredictionFailureKind.Misconfiguration ? ModelInspection.Failed(ModelState.Misconfigured, failure.Detail)
                : ModelInspection.Failed(ModelState.Unanswered, failure.Detail);
        }
        catch (RpcException) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }
    }
}
