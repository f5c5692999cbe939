namespace Seldon.Batch.Dataflow;

/// <summary>One shard's part of the input: the decoded bytes <c>[Start, End)</c>, cut at line starts (at record starts
/// for CSV), holding <see cref="Lines"/> lines of which the first is line <see cref="FirstLine"/> of the whole input. For a
/// Parquet input <c>[Start, End)</c> are rows, so Start is FirstLine.</summary>
internal sealed record ShardRange(long Start, long End, long FirstLine, long Lines);
