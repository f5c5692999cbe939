namespace Seldon.Batch.Dataflow;

/// <summary>The requests of a group of lines (one, or one per line after a refusal) with their answers, in line order;
/// a null answer is a request that had nothing to send (no line of it could be encoded).</summary>
internal sealed record PredictedBatch(IReadOnlyList<(EncodedBatch Batch, PredictionResponse? Response)> Parts)
{
    public static readonly PredictedBatch NotAnswered = new([]) { Answered = false };

    /// <summary>False when a request was not answered; <see cref="Parts"/> then holds the group's requests before it.</summary>
    public bool Answered { get; init; } = true;

    /// <summary>The requests of a group sent together, in line order, up to the first one not answered: the requests
    /// answered before it still belong to the output's prefix.</summary>
    public static PredictedBatch Concat(IEnumerable<PredictedBatch> predicted)
    {
        var parts = new List<(EncodedBatch Batch, PredictionResponse? Response)>();
        foreach (var p in predicted)
        {
            if (!p.Answered)
            {
                return new PredictedBatch(parts) { Answered = false };
            }

            parts.AddRange(p.Parts);
        }

        return new PredictedBatch(parts);
    }
}
