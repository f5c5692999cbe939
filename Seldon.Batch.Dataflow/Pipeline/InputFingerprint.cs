using System.Security.Cryptography;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>What tells one input file from another without reading it all: its size and a hash of its first and
/// last KiB. A resumed run compares it with the one recorded when the output was started.</summary>
/// <param name="Size">The file's length in bytes.</param>
/// <param name="HeadTailSha256">SHA-256 of the first KiB followed by the last KiB, in lower-case hex.</param>
internal sealed record InputFingerprint(long Size, string HeadTailSha256)
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

    /// <inheritdoc />
    public override string ToString() => $"{Size} bytes, head and tail SHA-256 {HeadTailSha256[..12]}…";
}
