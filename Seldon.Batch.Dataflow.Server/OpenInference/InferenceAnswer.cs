namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>The demo model's answer to one inference request.</summary>
internal sealed class InferenceAnswer
{
    public required string ModelName { get; init; }

    public required string ModelVersion { get; init; }

    public required string Id { get; init; }

    public Dictionary<string, object> Parameters { get; init; } = [];

    public required IReadOnlyList<InferenceTensor> Outputs { get; init; }
}
