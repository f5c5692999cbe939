using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>The output line the lines of one split answer have in common, written once by the line writer itself with
/// stand-ins where a line's own parts go (its <c>batch_index</c>, its <c>batch_instance_id</c>, its rows). A line is then
/// the template's bytes with its parts put in the holes: a few copies instead of the twenty or so writer calls of a line,
/// each with its own comma and depth bookkeeping. Since the line writer writes the template, the bytes around the holes
/// are the ones it writes for every line.</summary>
internal sealed class LineTemplate
{
    /// <summary>What goes into a hole.</summary>
    public enum Part
    {
        /// <summary>The line's input index, a JSON number.</summary>
        Index,

        /// <summary>The line's instance id, a JSON string with nothing to escape (see <see cref="SeldonJson.IsPlain"/>).</summary>
        InstanceId,

        /// <summary>Seldon: the line's rows, the raw items of an array, comma-separated, without the brackets.</summary>
        Rows,

        /// <summary>Open Inference: the number of the line's rows (the first dimension of an output's shape).</summary>
        RowCount,

        /// <summary>Open Inference: the values of the line's rows of one output, comma-separated, without the brackets.</summary>
        Values,

        /// <summary>Open Inference: the line's own request id, a JSON string with nothing to escape.</summary>
        LineId,

        /// <summary>Open Inference: the id of the request the line was sent in (its <c>inference_id</c>), a JSON string
        /// with nothing to escape; a hole so that a template outlives its request.</summary>
        InferenceId,
    }

    /// <summary>Fills the holes of a line that are not its index or instance id.</summary>
    public interface IFiller
    {
        /// <summary>Writes the line's <paramref name="part"/> (of output <paramref name="output"/>, where that matters). The
        /// buffer is the sealed class, not the interface: its calls are direct (interface calls were a tenth of writing a
        /// line).</summary>
        void Fill(ArrayBufferWriter<byte> buffer, Part part, int output);
    }

    /// <summary>An item written without whitespace or strings (numbers, and arrays of them, as models answer) is exactly
    /// what <see cref="JsonElement.WriteTo"/> writes for it (a string may be unescaped and escaped again): its bytes can
    /// be copied into a hole instead of walking the document.</summary>
    public static bool IsVerbatim(JsonElement item) => JsonMarshal.GetRawUtf8Value(item).IndexOfAny(RewrittenBytes) < 0;

    private static readonly SearchValues<byte> RewrittenBytes = SearchValues.Create(" \t\r\n\""u8);

    private readonly ArrayBufferWriter<byte> _bytes = new(512);
    private readonly List<(Part Part, int Output, int Start, int End)> _holes = new(4);

    private LineTemplate()
    {
    }

    /// <summary>Where the model's answer lies in the template, marked by the line writer as in any line; each line
    /// written from the template has it at the same place, moved by what its holes before it hold.</summary>
    public AnswerSpan Answer { get; } = new();

    /// <summary>Writes the template with <paramref name="body"/>, which marks each hole with <see cref="Hole"/>. The
    /// caller checks with <see cref="Count"/> that it got the holes it needs (a line of another shape is written by the
    /// line writer).</summary>
    public static LineTemplate Record<TState>(TState state, Action<Utf8JsonWriter, LineTemplate, TState> body)
    {
        var template = new LineTemplate();
        using (var w = new Utf8JsonWriter(template._bytes, SeldonJson.WriterOptions))
        {
            w.WriteStartObject();
            body(w, template, state);
            w.WriteEndObject();
        }

        return template;
    }

    /// <summary>The number of holes for <paramref name="part"/>.</summary>
    public int Count(Part part)
    {
        var count = 0;
        foreach (var hole in _holes)
        {
            count += hole.Part == part ? 1 : 0;
        }

        return count;
    }

    /// <summary>Whether the template has exactly one hole of each part in <paramref name="parts"/> and no other.</summary>
    public bool HasOneOfEach(params ReadOnlySpan<Part> parts)
    {
        if (_holes.Count != parts.Length)
        {
            return false;
        }

        foreach (var part in parts)
        {
            if (Count(part) != 1)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Marks a hole at the writer's place: <paramref name="standIn"/> (a raw JSON value, or nothing for the
    /// items of an array) is written there so the writer's commas stay right, and is what each line replaces.</summary>
    public void Hole(Utf8JsonWriter w, Part part, ReadOnlySpan<byte> standIn, int output = 0)
    {
        w.Flush();
        var start = _bytes.WrittenCount;
        if (!standIn.IsEmpty)
        {
            w.WriteRawValue(standIn, skipInputValidation: true);
            w.Flush();
        }

        _holes.Add((part, output, start, _bytes.WrittenCount));
    }

    /// <summary>Writes one line, its instance id being <paramref name="id"/> (the ASCII bytes of a plain id, made once for
    /// the lines that share it rather than once a line) or, for an <paramref name="item"/> of 0 or more,
    /// <c>&lt;id&gt;-item-&lt;item&gt;</c>, its other holes filled by <paramref name="filler"/>. The caller has checked that
    /// the id is plain and that what the filler writes is what the line writer would write. Returns where the model's
    /// answer lies in the line written (offsets from its start; -1 when the template marks none).</summary>
    public (int AnswerStart, int AnswerEnd) Write<TFiller>(ArrayBufferWriter<byte> output, long index, ReadOnlySpan<byte> id, int item, TFiller filler)
        where TFiller : IFiller, allows ref struct
    {
        var bytes = _bytes.WrittenSpan;
        var origin = output.WrittenCount;
        var (answerStart, answerEnd) = (-1, -1);
        var at = 0;
        foreach (var (part, number, start, end) in CollectionsMarshal.AsSpan(_holes))
        {
            // The answer's marks lie between holes, never inside one: found in the bytes copied, moved by the holes before.
            Locate(Answer.Start, at, start, output.WrittenCount - origin, ref answerStart);
            Locate(Answer.End, at, start, output.WrittenCount - origin, ref answerEnd);
            Put(output, bytes[at..start]);
            switch (part)
            {
                case Part.Index:
                    // The format Utf8JsonWriter.WriteNumber(long) writes.
                    WriteNumber(output, index);
                    break;
                case Part.InstanceId:
                    WriteInstanceId(output, id, item);
                    break;
                default:
                    filler.Fill(output, part, number);
                    break;
            }

            at = end;
        }

        Locate(Answer.Start, at, bytes.Length, output.WrittenCount - origin, ref answerStart);
        Locate(Answer.End, at, bytes.Length, output.WrittenCount - origin, ref answerEnd);
        Put(output, bytes[at..]);
        return (answerStart, answerEnd);
    }

    /// <summary>Writes the JSON string <c>"&lt;id&gt;"</c>, or <c>"&lt;id&gt;-item-&lt;item&gt;"</c> for an item of 0 or more.</summary>
    private static void WriteInstanceId(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> id, int item)
    {
        // The longest: the quotes, the id, "-item-" and an int.
        var span = output.GetSpan(id.Length + 2 + 6 + 11);
        span[0] = (byte)'"';
        id.CopyTo(span[1..]);
        var at = id.Length + 1;
        if (item >= 0)
        {
            "-item-"u8.CopyTo(span[at..]);
            at += 6;
            Utf8Formatter.TryFormat(item, span[at..], out var digits);
            at += digits;
        }

        span[at++] = (byte)'"';
        output.Advance(at);
    }

    /// <summary>Copies <paramref name="bytes"/> into <paramref name="output"/>, by direct calls (as
    /// <see cref="BuffersExtensions.Write{T}(IBufferWriter{T}, ReadOnlySpan{T})"/> does through the interface).</summary>
    public static void Put(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(output.GetSpan(bytes.Length));
        output.Advance(bytes.Length);
    }

    /// <summary>Where <paramref name="mark"/>, a place in the template, lies in the line, when it falls within the bytes
    /// [<paramref name="from"/>, <paramref name="to"/>] of the template copied to the line from offset
    /// <paramref name="written"/>; the first place found is kept.</summary>
    private static void Locate(int mark, int from, int to, int written, ref int found)
    {
        if (found < 0 && mark >= from && mark <= to)
        {
            found = written + (mark - from);
        }
    }

    /// <summary>Writes <paramref name="value"/> as <see cref="Utf8JsonWriter.WriteNumberValue(long)"/> does.</summary>
    public static void WriteNumber(ArrayBufferWriter<byte> output, long value)
    {
        Utf8Formatter.TryFormat(value, output.GetSpan(20), out var digits);
        output.Advance(digits);
    }

    /// <summary>Writes <paramref name="values"/>' raw bytes, comma-separated.</summary>
    public static void WriteItems(ArrayBufferWriter<byte> output, ReadOnlySpan<JsonElement> values)
    {
        for (var k = 0; k < values.Length; k++)
        {
            if (k > 0)
            {
                Put(output, ","u8);
            }

            Put(output, JsonMarshal.GetRawUtf8Value(values[k]));
        }
    }

    /// <summary>The Seldon line's one hole besides index and instance id: its rows, each row's raw bytes being what the
    /// line writer would write for it.</summary>
    public readonly ref struct RowsFiller(ReadOnlySpan<JsonElement> rows) : IFiller
    {
        private readonly ReadOnlySpan<JsonElement> _rows = rows;

        public void Fill(ArrayBufferWriter<byte> buffer, Part part, int output) => WriteItems(buffer, _rows);
    }
}
