using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Where the model's answer lies in an output line being written, as byte offsets from the line's start: the
/// writer of the line marks the answer's value as it writes it (<see cref="Open"/> before, <see cref="Close"/> after),
/// so that <see cref="InstanceResult.Prediction"/> is a slice of the line rather than a second parse of it. Only the
/// first value marked counts.</summary>
internal sealed class AnswerSpan
{
    /// <summary>The offset of the answer's first byte; -1 when none was marked.</summary>
    public int Start { get; private set; } = -1;

    /// <summary>The offset after the answer's last byte; -1 when none was marked.</summary>
    public int End { get; private set; } = -1;

    /// <summary>Marks the start of the answer at the writer's place: after a property name, where its value begins.</summary>
    public void Open(Utf8JsonWriter w)
    {
        if (Start < 0)
        {
            Start = Position(w);
        }
    }

    /// <summary>Marks the end of the answer at the writer's place: after its value.</summary>
    public void Close(Utf8JsonWriter w)
    {
        if (Start >= 0 && End < 0)
        {
            End = Position(w);
        }
    }

    /// <summary>Forgets the marks, for the next line.</summary>
    public void Clear() => Start = End = -1;

    // The writer is reset at the start of each line (or template), so what it has written, to its output or pending in
    // its buffer, is the offset from the line's start. A property name is written with its colon, and a value after it
    // with no separator: after the name is where the value begins.
    private static int Position(Utf8JsonWriter w) => checked((int)(w.BytesCommitted + w.BytesPending));
}
