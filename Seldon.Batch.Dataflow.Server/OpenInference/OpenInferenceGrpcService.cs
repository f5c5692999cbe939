using Grpc.Core;
using Inference.Grpc;

namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>The Open Inference Protocol over gRPC (<c>inference.GRPCInferenceService</c>), with MLServer's status codes,
/// and the authorization, fault injection and call counting of the Seldon service.</summary>
internal sealed class OpenInferenceGrpcService(SeldonGrpcService seldon, bool fixedAnswer, bool answerPosition = false) : GRPCInferenceService.GRPCInferenceServiceBase
{
    /// <inheritdoc />
    public override Task<ServerLiveResponse> ServerLive(ServerLiveRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerLiveResponse { Live = true });

    /// <inheritdoc />
    public override Task<ServerReadyResponse> ServerReady(ServerReadyRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerReadyResponse { Ready = true });

    /// <inheritdoc />
    public override Task<ServerMetadataResponse> ServerMetadata(ServerMetadataRequest request, ServerCallContext context) =>
        Task.FromResult(new ServerMetadataResponse { Name = "seldon-batch-dataflow-demo", Version = "1" });

    /// <inheritdoc />
    public override Task<ModelReadyResponse> ModelReady(ModelReadyRequest request, ServerCallContext context)
    {
        try
        {
            OpenInferenceModels.Require(request.Name, request.Version);
        }
        catch (InferenceFailure failure)
        {
            // MLServer does not wrap this one: an unknown model's readiness is Unknown, not NotFound.
            throw new RpcException(new Status(StatusCode.Unknown, $"Unexpected <class 'mlserver.errors.ModelNotFound'>: {failure.Message}"));
        }

        return Task.FromResult(new ModelReadyResponse { Ready = true });
    }

    /// <inheritdoc />
    public override Task<ModelMetadataResponse> ModelMetadata(ModelMetadataRequest request, ServerCallContext context)
    {
        Guard(() => OpenInferenceModels.Require(request.Name, request.Version));
        var tensor = new ModelMetadataResponse.Types.TensorMetadata { Name = OpenInferenceModels.DemoInput, Datatype = "FP64", Shape = { -1, -1 } };
        return Task.FromResult(new ModelMetadataResponse
        {
            Name = OpenInferenceModels.DemoModel,
            Versions = { OpenInferenceModels.DemoVersion },
            Platform = "seldon-batch-dataflow-demo",
            Inputs = { tensor },
            Outputs = { tensor.Clone() },
        });
    }

    /// <inheritdoc />
    public override Task<ModelInferResponse> ModelInfer(ModelInferRequest request, ServerCallContext context) =>
        seldon.CountedAsync(context, async () =>
        {
            await seldon.AdmitAsync(SeldonMethod.Predict, context);
            return Guard(() =>
            {
                OpenInferenceModels.Require(request.ModelName, request.ModelVersion);
                var call = InferenceProto.ReadCall(request);
                var answer = fixedAnswer ? FixedInferenceAnswer.For(call, call.Id) : DemoInferenceModel.Infer(call, call.Id, answerPosition);
                return InferenceProto.WriteAnswer(answer, call.Raw);
            });
        });

    private static void Guard(Action action) => Guard(() =>
    {
        action();
        return 0;
    });

    private static T Guard<T>(Func<T> answer)
    {
        try
        {
            return answer();
        }
        catch (InferenceFailure failure)
        {
            throw new RpcException(new Status(failure.GrpcCode, failure.Message));
        }
    }
}
