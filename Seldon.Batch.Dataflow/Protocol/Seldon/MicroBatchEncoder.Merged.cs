using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>Batch size above 1: consecutive lines whose rows can be merged (the same payload kind, row shape and names)
/// go into one request, an ndarray or a tensor. A line that cannot join the lines before it starts the next request of
/// the group, so it is judged by the model on its own and never fails its neighbours; the requests hold runs of lines in
/// line order. A line that cannot be read (bad JSON, blank, no rows) is its own error, a member of the request it stands
/// in; a raw line whose message cannot be merged at all (strData, jsonData, a tftensor…) travels alone, as at batch
/// size 1.</summary>
internal sealed partial class MicroBatchEncoder
{
    /// <summary>One line read for a merge: its rows; or why it cannot be sent; or, for a raw line that travels alone, its
    /// message.</summary>
    private readonly record struct ReadLine(InputLine Line, RowSource? Source, string? Error, JsonObject? UserTags, JsonObject? Alone);

    /// <summary>Batch size above 1: one request per run of lines that merge, in line order (one, nearly always).</summary>
    private List<EncodedBatch> EncodeMerged(IReadOnlyList<InputLine> lines)
    {
        var read = new ReadLine[lines.Count];
        try
        {
            for (var n = 0; n < lines.Count; n++)
            {
                read[n] = Read(lines[n]);
            }

            var batches = new List<EncodedBatch>(1);
            var start = 0;
            RowSource? first = null;
            for (var n = 0; n < read.Length; n++)
            {
                var line = read[n];
                if (line.Alone is not null)
                {
                    if (start < n)
                    {
                        batches.Add(WriteRun(read, start, n));
                    }

                    batches.Add(WriteAlone(line));
                    start = n + 1;
                    first = null;
                }
                else if (line.Source is { } source)
                {
                    if (first is not null && first.Describe(source) is not null)
                    {
                        // Another payload kind, row shape or names: the lines so far are one request, this one starts the next.
                        batches.Add(WriteRun(read, start, n));
                        start = n;
                        first = null;
                    }

                    first ??= source;
                }
            }

            if (start < read.Length)
            {
                batches.Add(WriteRun(read, start, read.Length));
            }

            return batches;
        }
        finally
        {
            foreach (var line in read)
            {
                line.Source?.Dispose();
            }
        }
    }

    /// <summary>The request of lines [<paramref name="start"/>, <paramref name="end"/>), whose readable lines all merge; none
    /// when every one of them is an error.</summary>
    private EncodedBatch WriteRun(ReadLine[] read, int start, int end)
    {
        var requestId = _newId();
        var members = new List<BatchMember>(end - start);
        var rows = new List<RowSource>(end - start);
        for (var n = start; n < end; n++)
        {
            var line = read[n];
            var member = new BatchMember(line.Line.Index, requestId, n - start)
            {
                UserTags = line.UserTags,
                EncodingError = line.Error,
            };
            if (line.Source is { } source)
            {
                member.Rows = source.Rows;
                rows.Add(source);
            }

            members.Add(member);
        }

        var body = rows.Count == 0 ? null : WriteMerged(members, rows, rows[0], requestId);
        return EncodedBatch.OfUtf8(members, body, requestId, isSplit: true);
    }

    /// <summary>A raw line that cannot be merged, sent as at batch size 1: its message as it is, the batch tags merged
    /// into its own, the answer written whole.</summary>
    private EncodedBatch WriteAlone(ReadLine line)
    {
        var requestId = _newId();
        var member = new BatchMember(line.Line.Index, requestId) { Rows = 1 };
        var body = EncodeRaw(line.Alone, member);
        return EncodedBatch.OfUtf8([member], body, requestId);
    }

    private byte[] WriteMerged(List<BatchMember> members, List<RowSource> rows, RowSource first, string requestId)
    {
        var firstIndex = members.First(m => m.IsSent).Index;
        var body = SeldonJson.WriteUtf8Object(w =>
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

    private ReadLine Read(InputLine line)
    {
        if (line.Failure is { } failure)
        {
            return new ReadLine(line, null, failure, null, null);
        }

        if (line.IsBlank)
        {
            return new ReadLine(line, null, "blank line: there is no instance to send", null, null);
        }

        JsonNode? node;
        try
        {
            if (_settings.DataType == DataType.Data && _settings.PayloadType == PayloadType.Ndarray)
            {
                // Lines of numbers are scanned without a document; anything else takes the document path.
                var scanned = RowSource.TryScanNdarray(line);
                string? scanError = null;
                scanned ??= RowSource.FromNdarray(SeldonJson.ParseDocument(line.Text), out scanError);
                return Checked(line, scanned, scanError, null);
            }

            node = SeldonJson.Parse(line.Text);
        }
        catch (JsonException ex)
        {
            return new ReadLine(line, null, $"invalid JSON: {ex.Message}", null, null);
        }

        if (_settings.DataType != DataType.Raw)
        {
            var source = RowSource.FromArray(node, _settings.PayloadType == PayloadType.Tensor, null, out var error);
            return Checked(line, source, error, null);
        }

        if (node is not JsonObject message)
        {
            return new ReadLine(line, null, $"wrong shape: a raw line must be a JSON object, found {SeldonJson.Describe(node)}", null, null);
        }

        // The user's tags first: a line that cannot be sent keeps them in its error record.
        var tags = TagsOf(message, create: false, out var tagsError);
        var userTags = tags is null ? null : (JsonObject)tags.DeepClone();
        if (tagsError is not null)
        {
            return new ReadLine(line, null, tagsError, userTags, null);
        }

        var rows = RowSource.FromMessage(message, out _);
        if (rows is null || rows.Rows == 0)
        {
            // No rows this request can take (another payload, or data the model must judge): sent alone, as at batch size 1.
            rows?.Dispose();
            return new ReadLine(line, null, null, null, message);
        }

        return new ReadLine(line, rows, null, userTags, null);
    }

    private static ReadLine Checked(InputLine line, RowSource? source, string? error, JsonObject? userTags)
    {
        if (source is null)
        {
            return new ReadLine(line, null, error, userTags, null);
        }

        if (source.Rows == 0)
        {
            source.Dispose();
            return new ReadLine(line, null, "wrong shape: the line has no rows", userTags, null);
        }

        return new ReadLine(line, source, null, userTags, null);
    }
}
