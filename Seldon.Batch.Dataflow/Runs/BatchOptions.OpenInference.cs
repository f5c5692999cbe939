
namespace Seldon.Batch.Dataflow;

// The settings of the protocol choice: Seldon (the default) or the Open Inference Protocol (V2), and request headers.
public sealed partial record BatchOptions
{
    /// <summary>The protocol the model speaks: Seldon (default) or the Open Inference Protocol (V2).</summary>
    public InferenceProtocol Protocol { get; init; } = BlockDefaults.Protocol;

    /// <summary>V2: the model to call; empty means the deployment name.</summary>
    public string ModelName { get; init; } = "";

    /// <summary>V2: the model version to call; empty means the server's default version.</summary>
    public string ModelVersion { get; init; } = "";

    /// <summary>Extra request headers (REST) or metadata (gRPC), for what gateways route on: Seldon Core 2's
    /// <c>seldon-model</c>, KServe's <c>Host</c>. Both protocols.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    /// <summary>V2, data, str and json lines: the input tensor's name; empty means the model's metadata, else <c>input-0</c>.</summary>
    public string InputName { get; init; } = "";

    /// <summary>V2, data lines: the input's datatype (<c>FP32</c>, <c>INT64</c>…); empty means the model's metadata, else read
    /// from the values.</summary>
    public string Datatype { get; init; } = "";

    /// <summary>The model requests name: <see cref="ModelName"/>, or the deployment's name.</summary>
    internal string EffectiveModelName => string.IsNullOrWhiteSpace(ModelName) ? DeploymentName : ModelName;

    /// <summary>The rules of the endpoint's protocol settings; those of the input's encoding are the block's.</summary>
    private void ValidateEndpoint()
    {
        foreach (var (name, value) in Headers)
        {
            if (string.IsNullOrWhiteSpace(name) || name.AsSpan().IndexOfAny(": \t\r\n") >= 0 || value.AsSpan().IndexOfAny('\r', '\n') >= 0)
            {
                Fail(nameof(Headers), $": '{name}: {value}' is not a header: write \"Name: value\" with a name of letters, digits and dashes");
            }
        }

        if (Protocol != InferenceProtocol.V2)
        {
            foreach (var (property, value) in new[] { (nameof(ModelName), ModelName), (nameof(ModelVersion), ModelVersion) })
            {
                if (!string.IsNullOrEmpty(value))
                {
                    throw PredictionBlockOptions.BelongsToV2(property);
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
