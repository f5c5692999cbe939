using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>The Open Inference request of a group of table rows (<see cref="InputLine.Row"/>), written from the rows'
/// values as they are (nothing is parsed): one input per column, named after it, of shape [rows], with the request
/// parameter <c>content_type: pd</c> (MLServer's pandas codec then gives the model a data frame); or one input of shape
/// [rows, columns]. A text input (<c>BYTES</c>) has <c>content_type: str</c>. A row that carries a failure is a member of
/// the request, never sent.</summary>
internal static class InferenceRowRequest
{
    /// <summary>The one request of the group, with the id <paramref name="id"/>; its rows concatenated along the first
    /// dimension (split back when there are several).</summary>
    public static EncodedBatch Encode(IReadOnlyList<InputLine> lines, string id)
    {
        var members = new List<BatchMember>(lines.Count);
        var rows = new List<TableRow>(lines.Count);
        for (var n = 0; n < lines.Count; n++)
        {
            var line = lines[n];
            var member = lines.Count == 1 ? new BatchMember(line.Index, id) : new BatchMember(line.Index, id, n);
            member.EncodingError = line.Row is null ? line.Failure ?? "invalid row: the row has no values" : null;
            if (line.Row is { } row)
            {
                member.Rows = 1;
                member.InferenceId = id;
                rows.Add(row);
            }

            members.Add(member);
        }

        var body = rows.Count == 0 ? null : SeldonJson.WriteUtf8Object((id, rows), static (w, s) => Write(w, s.id, s.rows));
        return EncodedBatch.OfUtf8(members, body, id, rows.Count > 1);
    }

    private static void Write(Utf8JsonWriter w, string id, List<TableRow> rows)
    {
        var layout = rows[0].Layout;
        w.WriteString("id", id);
        if (!layout.IsTensor)
        {
            w.WriteStartObject("parameters");
            w.WriteString("content_type", "pd");
            w.WriteEndObject();
        }

        w.WriteStartArray("inputs");
        if (layout.IsTensor)
        {
            StartInput(w, layout.InputName, layout.Datatypes[0], rows.Count, layout.Names.Length);
            foreach (var row in rows)
            {
                row.WriteValues(w);
            }

            EndInput(w);
        }
        else
        {
            for (var c = 0; c < layout.Names.Length; c++)
            {
                StartInput(w, layout.Names[c], layout.Datatypes[c], rows.Count, null);
                foreach (var row in rows)
                {
                    w.WriteRawValue(row.Value(c), skipInputValidation: true);
                }

                EndInput(w);
            }
        }

        w.WriteEndArray();
    }

    private static void StartInput(Utf8JsonWriter w, JsonEncodedText name, string datatype, int rows, int? columns)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteStartArray("shape");
        w.WriteNumberValue(rows);
        if (columns is { } k)
        {
            w.WriteNumberValue(k);
        }

        w.WriteEndArray();
        w.WriteString("datatype", datatype);
        if (RowLayout.IsText(datatype))
        {
            w.WriteStartObject("parameters");
            w.WriteString("content_type", "str");
            w.WriteEndObject();
        }

        w.WriteStartArray("data");
    }

    private static void EndInput(Utf8JsonWriter w)
    {
        w.WriteEndArray();
        w.WriteEndObject();
    }
}
