using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>The output line for one input line.</summary>
/// <param name="Index">The input line's 0-based position.</param>
/// <param name="Line">The JSON output line (a prediction or an error record), without line terminator.</param>
/// <param name="Failure">Null for a prediction; for an error record, its reason.</param>
public readonly record struct InstanceResult(long Index, string Line, string? Failure)
{
    // A result is held either as text or, on a file run's path, as the UTF-8 bytes the splitter wrote: the writer
    // copies those bytes to the file, where text would be made of them and encoded again (two passes per line).
    private readonly string? _line = Line;
    private readonly ReadOnlyMemory<byte> _utf8;

    /// <summary>A result held as the UTF-8 bytes of its line (see <see cref="Utf8"/>); a line is never empty (it is a
    /// JSON object), so empty bytes mean no line, as in a default result.</summary>
    internal InstanceResult(long index, ReadOnlyMemory<byte> utf8, string? failure)
        : this(index, (string)null!, failure) => _utf8 = utf8;

    /// <summary>The JSON output line (a prediction or an error record), without line terminator.</summary>
    public string Line
    {
        get => _line ?? (_utf8.IsEmpty ? null! : Encoding.UTF8.GetString(_utf8.Span));
        init
        {
            _line = value;
            _utf8 = default;
        }
    }

    /// <summary>The line's UTF-8 bytes when the result is held as bytes, else null (the line is <see cref="Line"/>).</summary>
    // Typed as nullable on purpose: a bare null would become an empty ReadOnlyMemory (through its conversion from arrays).
    internal ReadOnlyMemory<byte>? Utf8 => _line is null && !_utf8.IsEmpty ? _utf8 : default(ReadOnlyMemory<byte>?);

    /// <summary>The same result held as text, for callers outside the file run that read <see cref="Line"/> (perhaps more than once).</summary>
    internal InstanceResult AsText() => Utf8 is null ? this : this with { Line = Line };

    /// <summary>Results are equal when their index, line and failure are, whichever way each line is held.</summary>
    public bool Equals(InstanceResult other) =>
        Index == other.Index
        && Failure == other.Failure
        && (Utf8 is { } utf8 && other.Utf8 is { } otherUtf8 ? utf8.Span.SequenceEqual(otherUtf8.Span) : Line == other.Line);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Index, Line, Failure);

    /// <summary>Whether the line holds the model's answer rather than an error record.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>A short, stable name for the kind of failure ("invalid JSON", "HTTP 503 Service Unavailable",
    /// "gRPC Unavailable", "no answer"…), for counting failures by reason; null for a prediction.</summary>
    public string? FailureKind => Failure is null ? null : KindOf(Failure);

    /// <summary>Where a failure reason's kind ends (read for every failed line, so made once).</summary>
    private static readonly string[] KindSeparators = [": ", " from ", " within "];

    /// <summary>Reasons are written "kind: detail" or "kind from where…"; the kind is what comes first.</summary>
    internal static string KindOf(string reason)
    {
        var end = reason.Length;
        foreach (var separator in KindSeparators)
        {
            var at = reason.IndexOf(separator, StringComparison.Ordinal);
            if (at > 0 && at < end)
            {
                end = at;
            }
        }

        return end > 80 ? reason[..80] : reason[..end];
    }
}
