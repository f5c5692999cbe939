using System.Text.Json;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

/// <summary>The reference request writer: a request's strings through the writer's string calls, as main wrote every
/// request. The encoder's own writer writes the same bytes with the names it knows escaped once; RequestWriterProperties
/// holds it to this one (given to the encoder by <see cref="InferenceRequestEncoder.EncodeWith"/>).</summary>
internal static class ReferenceRequestWriter
{
    /// <summary>The request body of the <paramref name="sent"/> lines, with the id <paramref name="id"/>.</summary>
    public static byte[] Write(string id, IReadOnlyList<LineRequest> sent) =>
        SeldonJson.WriteUtf8Object((id, sent), static (w, s) => WriteRequest(w, s.id, s.sent));

    private static void WriteRequest(Utf8JsonWriter w, string id, IReadOnlyList<LineRequest> lines)
    {
        var first = lines[0];
        w.WriteString("id", id);
        if (first.Parameters.ValueKind != JsonValueKind.Undefined)
        {
            w.WritePropertyName("parameters");
            first.Parameters.WriteTo(w);
        }

        w.WriteStartArray("inputs");
        for (var i = 0; i < first.Inputs.Count; i++)
        {
            var input = first.Inputs[i];
            w.WriteStartObject();
            w.WriteString("name", input.Name);
            w.WriteStartArray("shape");
            w.WriteNumberValue(lines.Count == 1 ? input.Shape[0] : lines.Sum(l => l.Rows));
            foreach (var dimension in input.Shape.Skip(1))
            {
                w.WriteNumberValue(dimension);
            }

            w.WriteEndArray();
            w.WriteString("datatype", input.Datatype);
            if (input.Parameters.ValueKind != JsonValueKind.Undefined)
            {
                w.WritePropertyName("parameters");
                input.Parameters.WriteTo(w);
            }

            w.WriteStartArray("data");
            foreach (var line in lines)
            {
                line.Inputs[i].WriteValues(w);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        if (first.Outputs.ValueKind != JsonValueKind.Undefined)
        {
            w.WritePropertyName("outputs");
            first.Outputs.WriteTo(w);
        }
    }
}
