using System.Security.Cryptography;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>What tells one input from another without reading it all. A file: its size and a hash of its first and
/// last KiB. An object: its size and ETag (asked of the store, nothing read; stronger, since any change of content
/// changes the ETag). A resumed run compares it with the one recorded when the output was started.</summary>
/// <param name="Size">The input's length in bytes as stored.</param>
/// <param name="HeadTailSha256">A file's SHA-256 of the first KiB followed by the last KiB, in lower-case hex; null for an object.</param>
/// <param name="ETag">An object's ETag; null for a file.</param>
internal sealed record InputFingerprint(long Size, string? HeadTailSha256, string? ETag = null)
{
    private const int Window = 1024;

    public static async Task<InputFingerprint> OfAsync(string path, CancellationToken ct)
    {
        // An empty file and a named pipe (whose size is 0 too) are not opened: reading a pipe's head would take it
        // away from the run.
        var size = new FileInfo(path).Length;
        if (size == 0)
        {
            return new InputFingerprint(0, Convert.ToHexStringLower(SHA256.HashData([])));
        }

        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous);
        var head = new byte[(int)Math.Min(Window, size)];
        await stream.ReadExactlyAsync(head, ct).ConfigureAwait(false);
        var tail = new byte[(int)Math.Min(Window, size)];
        stream.Position = size - tail.Length;
        await stream.ReadExactlyAsync(tail, ct).ConfigureAwait(false);
        return new InputFingerprint(size, Convert.ToHexStringLower(SHA256.HashData([.. head, .. tail])));
    }

    /// <summary>The fingerprint of an object of <paramref name="size"/> bytes with <paramref name="etag"/>.</summary>
    public static InputFingerprint OfObject(long size, string etag) => new(size, null, etag);

    /// <inheritdoc />
    public override string ToString() =>
        ETag is not null ? $"{Size} bytes, ETag {ETag}" : $"{Size} bytes, head and tail SHA-256 {HeadTailSha256![..12]}…";
}
