namespace Seldon.Batch.Dataflow;

/// <summary>Which version of an input a run reads: its length in bytes as stored, and a tag that changes when its
/// content does (an object's ETag; a file's size and modification time).</summary>
internal sealed record InputVersion(long Length, string Tag);
