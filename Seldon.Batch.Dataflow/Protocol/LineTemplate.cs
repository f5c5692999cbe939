using System.Buffers;
using System.Buffers.Text;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow.Protocol;

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

        /// <summary>The line's rows: the raw items of an array, comma-separated, without the brackets.</summary>
        Rows,
    }

    private readonly ArrayBufferWriter<byte> _bytes = new(512);
    private readonly List<(Part Part, int Start, int End)> _holes = new(3);

    private LineTemplate()
    {
    }

    /// <summary>Writes the template with <paramref name="body"/>, which marks each hole with <see cref="Hole"/>; null
    /// unless every part got exactly one hole (a line of another shape is written by the line writer).</summary>
    public static LineTemplate? Record<TState>(TState state, Action<Utf8JsonWriter, LineTemplate, TState> body)
    {
        var template = new LineTemplate();
        using (var w = new Utf8JsonWriter(template._bytes, SeldonJson.WriterOptions))
        {
            w.WriteStartObject();
            body(w, template, state);
            w.WriteEndObject();
        }

        var found = 0;
        foreach (var hole in template._holes)
        {
            found |= 1 << (int)hole.Part;
        }

        return template._holes.Count == 3 && found == 7 ? template : null;
    }

    /// <summary>Marks a hole at the writer's place: <paramref name="standIn"/> (a raw JSON value, or nothing for
    /// <see cref="Part.Rows"/>) is written there so the writer's commas stay right, and is what each line replaces.</summary>
    public void Hole(Utf8JsonWriter w, Part part, ReadOnlySpan<byte> standIn)
    {
        w.Flush();
        var start = _bytes.WrittenCount;
        if (!standIn.IsEmpty)
        {
            w.WriteRawValue(standIn, skipInputValidation: true);
            w.Flush();
        }

        _holes.Add((part, start, _bytes.WrittenCount));
    }

    /// <summary>Writes one line, its instance id being <paramref name="id"/> or, for an <paramref name="item"/> of 0 or more,
    /// <c>&lt;id&gt;-item-&lt;item&gt;</c>. The caller has checked that <paramref name="id"/> is plain and that each row's
    /// raw bytes are what the line writer would write for it.</summary>
    public void Write(IBufferWriter<byte> output, long index, string id, int item, ReadOnlySpan<JsonElement> rows)
    {
        var bytes = _bytes.WrittenSpan;
        var at = 0;
        foreach (var (part, start, end) in _holes)
        {
            output.Write(bytes[at..start]);
            switch (part)
            {
                case Part.Index:
                    // The format Utf8JsonWriter.WriteNumber(long) writes.
                    Utf8Formatter.TryFormat(index, output.GetSpan(20), out var digits);
                    output.Advance(digits);
                    break;
                case Part.InstanceId:
                    output.Write("\""u8);
                    var length = Encoding.ASCII.GetBytes(id, output.GetSpan(id.Length));
                    output.Advance(length);
                    if (item >= 0)
                    {
                        output.Write("-item-"u8);
                        Utf8Formatter.TryFormat(item, output.GetSpan(11), out var itemDigits);
                        output.Advance(itemDigits);
                    }

                    output.Write("\""u8);
                    break;
                default:
                    for (var k = 0; k < rows.Length; k++)
                    {
                        if (k > 0)
                        {
                            output.Write(","u8);
                        }

                        output.Write(JsonMarshal.GetRawUtf8Value(rows[k]));
                    }

                    break;
            }

            at = end;
        }

        output.Write(bytes[at..]);
    }
}
