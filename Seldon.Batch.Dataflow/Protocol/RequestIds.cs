namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>Request ids: 32 lowercase hex digits, the shape of a GUID without dashes. The first 16 are random, drawn
/// once per process; the last 16 count requests. Unique within a process and, with 64 random bits, across runs. A new
/// GUID per request cost a read of the kernel's random source each time: a tenth of the pipeline's CPU at batch size 1.</summary>
internal static class RequestIds
{
    private static readonly string Prefix = Guid.NewGuid().ToString("N")[..16];
    private static long s_count;

    public static string Next() => string.Create(32, Interlocked.Increment(ref s_count), static (id, count) =>
    {
        Prefix.CopyTo(id);
        count.TryFormat(id[16..], out _, "x16");
    });
}
