namespace Seldon.Batch.Dataflow;

/// <summary>Why one line's output is an error record: set by whatever wrote the record, never parsed back from it.
/// Made by the block; tests make one with <see cref="BatchModelFactory.LineFailure"/>.</summary>
public sealed record LineFailure
{
    /// <summary>Where the reason's category ends: reasons are written "category: detail" or "category from where…".</summary>
    private static readonly string[] CategorySeparators = [": ", " from ", " within "];

    internal LineFailure(long index, LineFailureKind kind, int status, string reason)
    {
        Index = index;
        Kind = kind;
        Status = status;
        Reason = reason;
        Category = CategoryOf(reason);
    }

    /// <summary>The failure an error record says for line <paramref name="index"/>: <paramref name="failure"/>'s, "unknown
    /// failure" where it gives no reason.</summary>
    internal LineFailure(long index, RequestFailure failure)
        : this(index, failure.Kind, failure.Code, string.IsNullOrWhiteSpace(failure.Reason) ? "unknown failure" : failure.Reason)
    {
    }

    /// <summary>The input line's 0-based position.</summary>
    public long Index { get; }

    /// <summary>What the failure is about, which says whether sending the line again can help.</summary>
    public LineFailureKind Kind { get; }

    /// <summary>The code the error record holds: the HTTP status or gRPC status code of the failed request (0 when no
    /// answer arrived at all over REST), 400 for a line that was never sent, 502 for an answer that could not be used.</summary>
    public int Status { get; }

    /// <summary>The reason as the error record holds it ("invalid JSON: …", "HTTP 400 Bad Request from http://…: …",
    /// "no answer from … within 60 s"…); never empty.</summary>
    public string Reason { get; }

    /// <summary>A short, stable name for the failure, the start of its reason ("invalid JSON", "HTTP 503 Service
    /// Unavailable", "gRPC Unavailable", "no answer"…): what a file run counts failures by
    /// (<see cref="RunSummary.FailuresByKind"/>).</summary>
    public string Category { get; }

    /// <summary>The category of a reason: what comes before its first separator, at most 80 characters. Also how a
    /// resumed run counts the error records it finds in an output written before.</summary>
    internal static string CategoryOf(string reason)
    {
        var end = reason.Length;
        foreach (var separator in CategorySeparators)
        {
            var at = reason.IndexOf(separator, StringComparison.Ordinal);
            if (at > 0 && at < end)
            {
                end = at;
            }
        }

        return end > 80 ? reason[..80] : reason[..end];
    }

    /// <inheritdoc />
    public override string ToString() => Reason;
}
