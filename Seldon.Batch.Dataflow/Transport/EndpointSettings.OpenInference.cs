
namespace Seldon.Batch.Dataflow;

// What the Open Inference Protocol adds to an endpoint: the protocol, the model and its version, and request headers.
public sealed partial record EndpointSettings
{
    /// <summary>The protocol spoken: Seldon (default) or the Open Inference Protocol (V2). The client knows it
    /// (<see cref="IPredictionClient.Protocol"/>), and a <see cref="PredictionBlock"/> checks its options against it.</summary>
    public InferenceProtocol Protocol { get; init; } = InferenceProtocol.Seldon;

    /// <summary>V2: the model to call; empty means <see cref="DeploymentName"/>.</summary>
    public string ModelName { get; init; } = "";

    /// <summary>V2: the model's version; empty means the server's default.</summary>
    public string ModelVersion { get; init; } = "";

    /// <summary>Extra request headers (REST) or metadata entries (gRPC), sent with every request of both protocols, for
    /// what gateways route on: Seldon Core 2's <c>seldon-model</c>, KServe's <c>Host</c>.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>The model name requests carry.</summary>
    internal string Model => string.IsNullOrWhiteSpace(ModelName) ? DeploymentName : ModelName;

    /// <summary>The rules of the headers and of the protocol's own settings.</summary>
    private void ValidateProtocol()
    {
        foreach (var (name, value) in Headers)
        {
            if (string.IsNullOrWhiteSpace(name) || name.AsSpan().IndexOfAny(": \t\r\n") >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                throw InvalidBatchOptionsException.About(nameof(Headers), $": '{name}: {value}' is not a header: write \"Name: value\" with a name of letters, digits and dashes");
            }
        }

        if (Protocol != InferenceProtocol.V2)
        {
            foreach (var (property, value) in new[] { (nameof(ModelName), ModelName), (nameof(ModelVersion), ModelVersion) })
            {
                if (!string.IsNullOrEmpty(value))
                {
                    throw InvalidBatchOptionsException.BelongsToV2(property);
                }
            }

            return;
        }

        if (ModelName.AsSpan().IndexOfAny("/?#") >= 0 || ModelVersion.AsSpan().IndexOfAny("/?#") >= 0)
        {
            throw InvalidBatchOptionsException.About([nameof(ModelName), nameof(ModelVersion)], name =>
                $"{name(nameof(ModelName))} and {name(nameof(ModelVersion))} must not hold '/', '?' or '#': '{ModelName}', '{ModelVersion}'");
        }
    }
}
