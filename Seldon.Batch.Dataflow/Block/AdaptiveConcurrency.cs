namespace Seldon.Batch.Dataflow;

/// <summary>Lets the block find how many requests to keep on the wire (<see cref="PredictionBlockOptions.AdaptiveConcurrency"/>,
/// <c>--workers auto</c>) instead of a fixed <see cref="PredictionBlockOptions.Workers"/>: it starts at
/// <see cref="Initial"/>, grows while the model's latency holds, and backs off when latency rises or the server answers
/// 429 or 503 (docs/operations.md, "Sharing a model").</summary>
public sealed record AdaptiveConcurrency
{
    /// <summary>The default <see cref="Maximum"/>: a model server rarely gains from more requests at once (a GPU batches
    /// a few dozen; an ingress' default limits are around 100), and it bounds the block's memory as 64 fixed workers do.</summary>
    public const int DefaultMaximum = 64;

    /// <summary>The most requests on the wire at once, whatever the latency says; at least 1. Default 64.</summary>
    public int Maximum { get; init; } = DefaultMaximum;

    /// <summary>The limit the block starts with, at least 1 (and at most <see cref="Maximum"/>). Default 2: low enough not to hurt a
    /// small model, and doubled after each measurement while the latency holds, so a large one is reached in seconds.</summary>
    public int Initial { get; init; } = 2;
}
