namespace Seldon.Batch.Dataflow;

/// <summary>One shard's part of the input: the decoded bytes <c>[Start, End)</c>, cut at line starts, holding
/// <see cref="Lines"/> lines of which the first is line <see cref="FirstLine"/> of the whole input.</summary>
internal sealed record ShardRange(long Start, long End, long FirstLine, long Lines);
