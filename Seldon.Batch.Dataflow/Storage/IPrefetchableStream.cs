namespace Seldon.Batch.Dataflow;

/// <summary>A seekable stream over a store where each read costs a request (an object's ranged GETs): a reader that
/// knows where it reads next (Parquet's footer, then the column chunks of a row group) says so, and the stream fetches
/// that range in as few requests as it can, asynchronously, before the reader's own (often synchronous) reads.</summary>
internal interface IPrefetchableStream
{
    /// <summary>The bytes <c>[start, end)</c> are read next: fetches them now (or as much of them as one request holds)
    /// unless they are held already, and reads that miss later stay within them instead of reading past them.</summary>
    ValueTask PrefetchAsync(long start, long end, CancellationToken ct);
}
