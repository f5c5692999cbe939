
namespace Seldon.Batch.Dataflow;

// What the Open Inference Protocol adds to an endpoint: the protocol, the model and its version, and request headers.
public sealed partial record EndpointSettings
{
    /// <summary>The protocol spoken: Seldon (default) or the Open Inference Protocol (V2).</summary>
    public InferenceProtocol Protocol { get; init; } = InferenceProtocol.Seldon;

    /// <summary>V2: the model to call; empty means <see cref="DeploymentName"/>.</summary>
    public string ModelName { get; init; } = "";

    /// <summary>V2: the model's version; empty means the server's default.</summary>
    public string ModelVersion { get; init; } = "";

    /// <summary>Extra request headers (REST) or metadata entries (gRPC), sent with every request of both protocols.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The model name requests carry.</summary>
    internal string Model => string.IsNullOrWhiteSpace(ModelName) ? DeploymentName : ModelName;
}
