using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>Batch size above 1: the rows of every line that can join go into one request (an ndarray or a tensor),
/// and a line that cannot (bad JSON, a shape that does not match the first line's) gets its own error.</summary>
internal sealed partial class MicroBatchEncoder
{
    /// <summary>Batch size above 1: the rows of every good line go into one request.</summary>
    private EncodedBatch EncodeMerged(IReadOnlyList<InputLine> lines, string requestId)
    {
        var members = new List<BatchMember>(lines.Count);
        var rows = new List<RowSource>(lines.Count);
        var sources = new List<RowSource>(lines.Count);
        RowSource? first = null;
        for (var n = 0; n < lines.Count; n++)
        {
            var member = new BatchMember(lines[n].Index, requestId, n);
            members.Add(member);
            var source = ReadRows(lines[n], member);
            if (source is null)
            {
                continue;
            }

            sources.Add(source);
            first ??= source;
            if (first.Describe(source) is { } mismatch)
            {
                member.EncodingError = mismatch;
                continue;
            }

            member.Rows = source.Rows;
            rows.Add(source);
        }

        try
        {
            return first is null || rows.Count == 0
                ? new EncodedBatch(members, null, requestId) { IsSplit = true }
                : new EncodedBatch(members, WriteMerged(members, rows, first, requestId), requestId) { IsSplit = true };
        }
        finally
        {
            foreach (var source in sources)
            {
                source.Dispose();
            }
        }
    }

    private string WriteMerged(List<BatchMember> members, List<RowSource> rows, RowSource first, string requestId)
    {
        var firstIndex = members.First(m => m.IsSent).Index;
        var body = SeldonJson.WriteObject(w =>
        {
            w.WritePropertyName("data");
            w.WriteStartObject();
            if (first.Names is not null)
            {
                w.WritePropertyName("names");
                first.Names.WriteTo(w);
            }

            if (first.IsTensor)
            {
                var dims = (int[])first.Dimensions.Clone();
                dims[0] = rows.Sum(r => r.Rows);
                WriteTensor(w, dims, rows.SelectMany(r => r.Values));
            }
            else
            {
                w.WritePropertyName("ndarray");
                w.WriteStartArray();
                foreach (var row in rows)
                {
                    row.WriteRows(w);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
            w.WritePropertyName("meta");
            w.WriteStartObject();
            w.WritePropertyName("tags");
            w.WriteStartObject();
            w.WriteString(BatchTags.BatchId, _settings.BatchId);
            w.WriteNumber(BatchTags.BatchIndex, firstIndex);
            w.WriteString(BatchTags.BatchInstanceId, requestId);
            w.WriteEndObject();
            w.WriteEndObject();
        });
        return body;
    }

    private RowSource? ReadRows(InputLine line, BatchMember member)
    {
        if (string.IsNullOrWhiteSpace(line.Text))
        {
            member.EncodingError = "blank line: there is no instance to send";
            return null;
        }

        string? error;
        RowSource? source;
        JsonNode? node = null;
        try
        {
            if (_settings.DataType == DataType.Data && _settings.PayloadType == PayloadType.Ndarray)
            {
                // Lines of numbers are scanned without a document; anything else takes the document path.
                source = RowSource.TryScanNdarray(line.Text);
                error = null;
                source ??= RowSource.FromNdarray(SeldonJson.ParseDocument(line.Text), out error);
                return Checked(source, error, member);
            }

            node = SeldonJson.Parse(line.Text);
        }
        catch (JsonException ex)
        {
            member.EncodingError = $"invalid JSON: {ex.Message}";
            return null;
        }

        if (_settings.DataType == DataType.Raw)
        {
            // The user's tags first: a line that cannot join the batch keeps them in its error record.
            error = null;
            var tags = node is JsonObject message ? TagsOf(message, create: false, out error) : null;
            member.UserTags = tags is null ? null : (JsonObject)tags.DeepClone();
            source = RowSource.FromMessage(node, out var rowsError);
            error ??= rowsError;
            if (error is not null)
            {
                source = null;
            }
        }
        else
        {
            source = RowSource.FromArray(node, _settings.PayloadType == PayloadType.Tensor, null, out error);
        }

        return Checked(source, error, member);
    }

    private static RowSource? Checked(RowSource? source, string? error, BatchMember member)
    {
        if (source is null)
        {
            member.EncodingError = error;
        }
        else if (source.Rows == 0)
        {
            member.EncodingError = "wrong shape: the line has no rows";
            source.Dispose();
            source = null;
        }

        return source;
    }
}
