namespace Seldon.Batch.Dataflow.Storage;

/// <summary>What an interrupted run left that a resumed one keeps.</summary>
/// <param name="Lines">Complete output lines kept (so input lines to skip).</param>
/// <param name="BatchId">Their <c>batch_id</c>; null when unknown or there are none.</param>
/// <param name="Bytes">Length of the kept prefix.</param>
/// <param name="InputTag">The version of the input the prefix was made from, where the output records it.</param>
internal sealed record WrittenPrefix(long Lines, string? BatchId, long Bytes, string? InputTag = null)
{
    public static readonly WrittenPrefix None = new(0, null, 0);
}
