using System.IO.Hashing;

namespace Seldon.Batch.Dataflow;

/// <summary>What tells one input from another. A file: its size and the XxHash128 of its whole content (read once, at
/// disk speed), so one value edited anywhere makes another input. An object: its size and ETag (asked of the store,
/// nothing read; any change of content changes the ETag). A continued run compares it with the one recorded when the
/// output was started.</summary>
/// <param name="Size">The input's length in bytes as stored.</param>
/// <param name="Kind">What <paramref name="Value"/> is, and the name it is recorded under: <see cref="ContentKind"/>,
/// <see cref="ETagKind"/>, or <see cref="HeadTailKind"/> (read from a record of an older version only).</param>
/// <param name="Value">The hash in lower-case hex, or the ETag.</param>
internal sealed record InputFingerprint(long Size, string Kind, string Value)
{
    /// <summary>A file's XxHash128 of its whole stored content.</summary>
    public const string ContentKind = "xxh128";

    /// <summary>An object's ETag.</summary>
    public const string ETagKind = "etag";

    /// <summary>The SHA-256 of a file's first and last KiB that older versions recorded: too weak to tell two inputs of
    /// the same size apart, so it is never compared (<see cref="FingerprintComparison.Unknown"/>).</summary>
    public const string HeadTailKind = "head_tail_sha256";

    /// <summary>The standard input's (<c>-i -</c>), which is never read ahead to be hashed: it matches no input, itself
    /// included, so nothing made from a stream is ever kept as another run's.</summary>
    public const string StreamKind = "stream";

    /// <summary>The names a fingerprint is recorded under, the current ones first.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [ContentKind, ETagKind, HeadTailKind, StreamKind];

    /// <summary>The fingerprint of a file of <paramref name="size"/> bytes whose whole content went through <paramref name="hash"/>.</summary>
    public static InputFingerprint OfContent(long size, XxHash128 hash) => new(size, ContentKind, Convert.ToHexStringLower(hash.GetCurrentHash()));

    /// <summary>The fingerprint of an object of <paramref name="size"/> bytes with <paramref name="etag"/>.</summary>
    public static InputFingerprint OfObject(long size, string etag) => new(size, ETagKind, etag);

    /// <summary>The fingerprint of the standard input: its size is unknown (-1).</summary>
    public static InputFingerprint OfStream() => new(-1, StreamKind, "-");

    /// <summary>Whether this input is the one <paramref name="recorded"/> describes: another size is always another
    /// input; a value of the same kind decides; a fingerprint of another kind (an older version's, or a file's against
    /// an object's) cannot tell.</summary>
    public FingerprintComparison CompareTo(InputFingerprint recorded) =>
        recorded.Size != Size || Kind == StreamKind || recorded.Kind == StreamKind ? FingerprintComparison.Different
        : recorded.Kind != Kind || Kind == HeadTailKind ? FingerprintComparison.Unknown
        : recorded.Value == Value ? FingerprintComparison.Same
        : FingerprintComparison.Different;

    /// <inheritdoc />
    public override string ToString() => Kind switch
    {
        StreamKind => "the standard input",
        ETagKind => $"{Size} bytes, ETag {Value}",
        ContentKind => $"{Size} bytes, XxHash128 {Value[..Math.Min(12, Value.Length)]}…",
        _ => $"{Size} bytes, head and tail SHA-256 {Value[..Math.Min(12, Value.Length)]}…",
    };
}
