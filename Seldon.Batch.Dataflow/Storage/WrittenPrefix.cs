namespace Seldon.Batch.Dataflow;

/// <summary>What an output holds from its start: the lines an interrupted run left that a resumed one keeps, or a
/// complete output whose error records <c>--retry-failed</c> sends again.</summary>
/// <param name="Lines">Valid output lines (so input lines to skip).</param>
/// <param name="BatchId">Their <c>batch_id</c>; null when unknown or there are none.</param>
/// <param name="Bytes">Length of the valid prefix; anything after it is cut off.</param>
/// <param name="FailedLines">Positions of the error records among them, in order, where the lines were read back (a
/// file); empty for a multipart upload, whose parts cannot be read before it completes.</param>
/// <param name="FailuresByKind">The error records among them by kind of failure.</param>
internal sealed record WrittenPrefix(long Lines, string? BatchId, long Bytes, IReadOnlyList<long> FailedLines, IReadOnlyDictionary<string, long> FailuresByKind)
{
    /// <summary>Nothing written yet.</summary>
    public static readonly WrittenPrefix None = new(0, null, 0, [], new Dictionary<string, long>());

    /// <summary>Error records among the lines.</summary>
    public long Failed => FailuresByKind.Values.Sum();

    /// <summary>Predictions among the lines.</summary>
    public long Succeeded => Lines - Failed;
}
