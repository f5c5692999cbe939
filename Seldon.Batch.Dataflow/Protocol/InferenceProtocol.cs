namespace Seldon.Batch.Dataflow;

/// <summary>The inference protocol the model speaks (<c>--protocol</c>).</summary>
public enum InferenceProtocol
{
    /// <summary>Seldon Core 1's protocol: <c>SeldonMessage</c> over <c>/api/v1.0/predictions</c> or <c>seldon.protos.Seldon</c>.</summary>
    Seldon,

    /// <summary>The Open Inference Protocol (KServe V2) of MLServer, Seldon Core 2, KServe and Triton:
    /// <c>InferenceRequest</c> over <c>/v2/models/{model}/infer</c> or <c>inference.GRPCInferenceService</c>.</summary>
    V2,
}
