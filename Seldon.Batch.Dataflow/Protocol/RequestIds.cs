using System.Globalization;
using System.Security.Cryptography;

namespace Seldon.Batch.Dataflow;

/// <summary>Request ids in the original's shape, a dashed UUID (8-4-4-4-12 lowercase hex, RFC 9562 version 4 and
/// variant bits set), so tools that parse <c>batch_instance_id</c> or <c>seldon-puid</c> as a UUID keep working.
/// The 122 free bits are drawn once per process; each id then XORs a counter into the low 62 of them. A fresh random
/// GUID per request cost a read of the kernel's random source each time (a tenth of the pipeline's CPU at batch size
/// 1); a counter over a random base costs an increment and the formatting of the one string returned. XOR with a
/// constant is one-to-one, so ids never repeat within a process before 2^62 requests, and the random base keeps
/// them apart across runs.</summary>
internal static class RequestIds
{
    /// <summary>Length of <c>xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx</c>.</summary>
    internal const int Length = 36;

    private const ulong CounterBits = (1UL << 62) - 1;
    private const ulong Variant = 1UL << 63; // the two top bits of the low half are 10: the RFC variant

    /// <summary>The first three groups and their dashes, the same for every id of this process.</summary>
    private static readonly string Head;

    /// <summary>The random low 62 bits the counter is mixed into.</summary>
    private static readonly ulong TailBase;

    private static long s_count;

    static RequestIds()
    {
        Span<byte> random = stackalloc byte[16];
        RandomNumberGenerator.Fill(random);
        var high = BitConverter.ToUInt64(random[..8]);
        high = (high & ~0xF000UL) | 0x4000UL; // version 4 in the first digit of the third group
        Head = $"{high >> 32:x8}-{(high >> 16) & 0xFFFF:x4}-{high & 0xFFFF:x4}-";
        TailBase = BitConverter.ToUInt64(random[8..]) & CounterBits;
    }

    /// <summary>The next id: unique within the process, 36 characters, one allocation (the string itself).</summary>
    public static string Next() => Format((ulong)Interlocked.Increment(ref s_count));

    /// <summary>The id with the given counter value; <see cref="Next"/> uses it, tests call it with chosen values.</summary>
    internal static string Format(ulong count) => string.Create(Length, Variant | ((TailBase ^ count) & CounterBits), static (id, low) =>
    {
        Head.CopyTo(id);
        // One formatting call for the 16 digits, one place to the right, then the first four moved back over the
        // gap to make room for the last dash: cheaper than formatting the two groups separately.
        low.TryFormat(id[20..], out _, "x16", CultureInfo.InvariantCulture);
        id[20..24].CopyTo(id[19..]);
        id[23] = '-';
    });
}
