using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Table rows (<see cref="InputLine.Row"/>): a group's rows go in one request, the columns' names once as
/// <c>data.names</c>, the rows as an ndarray (one row each) or a tensor of shape [rows, columns], written from the rows'
/// values as they are (nothing is parsed). A row that carries a failure is a member of the request, never sent.</summary>
internal sealed partial class MicroBatchEncoder
{
    /// <summary>The one request of a group of table rows: merged (split back by rows) when the run micro-batches, else the
    /// group's one row, answered whole.</summary>
    private EncodedBatch EncodeRows(IReadOnlyList<InputLine> lines)
    {
        var requestId = _newId();
        var members = new List<BatchMember>(lines.Count);
        var rows = new List<TableRow>(lines.Count);
        long firstIndex = -1;
        for (var n = 0; n < lines.Count; n++)
        {
            var line = lines[n];
            var member = _settings.IsMicroBatching ? new BatchMember(line.Index, requestId, n) : new BatchMember(line.Index, requestId);
            member.EncodingError = line.Row is null ? line.Failure ?? "invalid row: the row has no values" : null;
            if (line.Row is { } row)
            {
                member.Rows = 1;
                rows.Add(row);
                firstIndex = firstIndex < 0 ? line.Index : firstIndex;
            }

            members.Add(member);
        }

        var body = rows.Count == 0 ? null : SeldonJson.WriteUtf8Object((rows, tags: (_settings.BatchId, firstIndex, requestId)), static (w, s) => WriteRows(w, s.rows, s.tags));
        return EncodedBatch.OfUtf8(members, body, requestId, _settings.IsMicroBatching);
    }

    private static void WriteRows(Utf8JsonWriter w, List<TableRow> rows, (string BatchId, long Index, string InstanceId) tags)
    {
        var layout = rows[0].Layout;
        w.WriteStartObject("data");
        w.WriteStartArray("names");
        foreach (var name in layout.Names)
        {
            w.WriteStringValue(name);
        }

        w.WriteEndArray();
        if (layout.IsTensor)
        {
            w.WriteStartObject("tensor");
            w.WriteStartArray("shape");
            w.WriteNumberValue(rows.Count);
            w.WriteNumberValue(layout.Names.Length);
            w.WriteEndArray();
            w.WriteStartArray("values");
            foreach (var row in rows)
            {
                row.WriteValues(w);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartArray("ndarray");
            foreach (var row in rows)
            {
                w.WriteRawValue(row.Array, skipInputValidation: true);
            }

            w.WriteEndArray();
        }

        w.WriteEndObject();
        w.WriteStartObject("meta");
        w.WriteStartObject("tags");
        w.WriteString(BatchTags.BatchId, tags.BatchId);
        w.WriteNumber(BatchTags.BatchIndex, tags.Index);
        w.WriteString(BatchTags.BatchInstanceId, tags.InstanceId);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
