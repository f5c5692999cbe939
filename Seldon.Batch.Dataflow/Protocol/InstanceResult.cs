using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>The output for one input line: its JSON output line, and either the model's answer for it
/// (<see cref="Prediction"/>) or why there is none (<see cref="Failure"/>). Made by the block; tests make one with
/// <see cref="BatchModelFactory.InstanceResult"/>.</summary>
public readonly record struct InstanceResult
{
    // A result is held either as text or, on a file run's path, as the UTF-8 bytes the splitter wrote: the writer
    // copies those bytes to the file, where text would be made of them and encoded again (two passes per line). The
    // prediction is a range of those bytes, kept when the line is made text; a result made as text has its prediction
    // alone in them. Two offsets rather than a second ReadOnlyMemory keep the result 8 bytes smaller (32 results per
    // answer at batch size 32).
    private readonly string? _line;
    private readonly ReadOnlyMemory<byte> _utf8;
    private readonly int _predictionStart;
    private readonly int _predictionLength;

    /// <summary>A result held as text, its prediction in bytes of its own.</summary>
    internal InstanceResult(long index, string line, LineFailure? failure, ReadOnlyMemory<byte> prediction = default)
    {
        Index = index;
        _line = line;
        _utf8 = prediction;
        _predictionLength = prediction.Length;
        Failure = failure;
    }

    /// <summary>A result held as the UTF-8 bytes of its line (see <see cref="Utf8"/>), its prediction the
    /// <paramref name="predictionLength"/> bytes from <paramref name="predictionStart"/> of them; a line is never empty
    /// (it is a JSON object), so empty bytes mean no line, as in a default result.</summary>
    internal InstanceResult(long index, ReadOnlyMemory<byte> utf8, LineFailure? failure, int predictionStart = 0, int predictionLength = 0)
    {
        Index = index;
        _utf8 = utf8;
        _predictionStart = predictionStart;
        _predictionLength = predictionLength;
        Failure = failure;
    }

    /// <summary>The input line's 0-based position (its <c>batch_index</c>).</summary>
    public long Index { get; }

    /// <summary>The JSON output line (a prediction or an error record), without line terminator.</summary>
    public string Line
    {
        get => _line ?? (_utf8.IsEmpty ? null! : Encoding.UTF8.GetString(_utf8.Span));

        // The bytes stay: the prediction is a range of them.
        internal init => _line = value;
    }

    /// <summary>Null for a prediction; for an error record, why the line failed: its kind, status and reason.</summary>
    public LineFailure? Failure { get; }

    /// <summary>The model's answer for this line as UTF-8 JSON, the bytes the output line holds (no JSON is parsed again
    /// to get it): for the Seldon protocol the value of the line's <c>data</c> (or <c>binData</c>, <c>strData</c>,
    /// <c>jsonData</c>, <c>customData</c>, whichever the model answered), cut to the line's rows; for the Open Inference
    /// Protocol the line's <c>outputs</c> array. Empty for an error record, and for an answer that holds none of these.</summary>
    public ReadOnlyMemory<byte> Prediction => _utf8.Slice(_predictionStart, _predictionLength);

    /// <summary>Whether the line holds the model's answer rather than an error record.</summary>
    public bool Succeeded => Failure is null;

    /// <summary>The line's UTF-8 bytes when the result is held as bytes, else null (the line is <see cref="Line"/>).</summary>
    // Typed as nullable on purpose: a bare null would become an empty ReadOnlyMemory (through its conversion from arrays).
    internal ReadOnlyMemory<byte>? Utf8 => _line is null && !_utf8.IsEmpty ? _utf8 : default(ReadOnlyMemory<byte>?);

    /// <summary>Where <see cref="Prediction"/> starts in <see cref="Utf8"/>, the line's bytes; -1 when the result is held as
    /// text (its prediction is bytes of its own) or has no prediction.</summary>
    internal int PredictionOffset => Utf8 is not null && _predictionLength > 0 ? _predictionStart : -1;

    /// <summary>The same result held as text, for callers outside the file run that read <see cref="Line"/> (perhaps
    /// more than once). Its <see cref="Prediction"/> stays a slice of the bytes the line was written in.</summary>
    internal InstanceResult AsText() => Utf8 is null ? this : this with { Line = Line };

    /// <summary>Results are equal when their index, failure, line and prediction are, whichever way each line is held.</summary>
    public bool Equals(InstanceResult other) =>
        Index == other.Index
        && Equals(Failure, other.Failure)
        && (Utf8 is { } utf8 && other.Utf8 is { } otherUtf8 ? utf8.Span.SequenceEqual(otherUtf8.Span) : Line == other.Line)
        && Prediction.Span.SequenceEqual(other.Prediction.Span);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Index, Line, Failure);
}
