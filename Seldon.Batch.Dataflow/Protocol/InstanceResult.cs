namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>The output line for one input line.</summary>
/// <param name="Index">The input line's 0-based position.</param>
/// <param name="Line">The JSON output line (a prediction or an error record), without line terminator.</param>
/// <param name="Failure">Null for a prediction; for an error record, its reason.</param>
public readonly record struct InstanceResult(long Index, string Line, string? Failure)
{
    /// <summary>Whether the line holds the model's answer rather than an error record.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>A short, stable name for the kind of failure ("invalid JSON", "HTTP 503 Service Unavailable",
    /// "gRPC Unavailable", "no answer"…), for counting failures by reason; null for a prediction.</summary>
    public string? FailureKind => Failure is null ? null : KindOf(Failure);

    /// <summary>Reasons are written "kind: detail" or "kind from where…"; the kind is what comes first.</summary>
    internal static string KindOf(string reason)
    {
        var end = reason.Length;
        foreach (var separator in new[] { ": ", " from ", " within " })
        {
            var at = reason.IndexOf(separator, StringComparison.Ordinal);
            if (at > 0 && at < end)
            {
                end = at;
            }
        }

        return end > 80 ? reason[..80] : reason[..end];
    }
}
