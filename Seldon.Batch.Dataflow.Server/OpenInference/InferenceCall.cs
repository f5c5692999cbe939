namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>One inference request as the demo server received it, over REST or gRPC.</summary>
internal sealed class InferenceCall
{
    public string Id { get; init; } = "";

    public Dictionary<string, object> Parameters { get; init; } = [];

    public required IReadOnlyList<InferenceTensor> Inputs { get; init; }

    /// <summary>The names of the requested outputs; empty for all of them.</summary>
    public IReadOnlyList<string> RequestedOutputs { get; init; } = [];

    /// <summary>Whether the tensors came as gRPC <c>raw_input_contents</c>, which MLServer answers raw too.</summary>
    public bool Raw { get; init; }
}
