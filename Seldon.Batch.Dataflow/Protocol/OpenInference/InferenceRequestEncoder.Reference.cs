using System.Text.Json;

namespace Seldon.Batch.Dataflow;

// The reference request writer: the request's strings through the writer's string calls, as main wrote every request.
// The encoder's own writer (WriteRequest) writes the same bytes with the names it knows escaped once; tests hold it to
// this one (RequestWriterProperties).
internal sealed partial class InferenceRequestEncoder
{
    /// <summary>The request body of the sent lines of <paramref name="run"/>, by the reference writer.</summary>
    private static byte[] WriteReference(string id, List<(long Index, string? Error, LineRequest? Request)> run)
    {
        var sent = new List<LineRequest>(run.Count);
        foreach (var (_, _, request) in run)
        {
            if (request is not null)
            {
                sent.Add(request);
            }
        }

        return SeldonJson.WriteUtf8Object((id, sent), static (w, s) => WriteRequestReference(w, s.id, s.sent));
    }

    private static void WriteRequestReference(Utf8JsonWriter w, string id, List<LineRequest> lines)
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
