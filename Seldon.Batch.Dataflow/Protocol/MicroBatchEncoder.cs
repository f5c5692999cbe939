using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>Turns a group of input lines into one Seldon request. A line that cannot be encoded becomes a
/// member with an <see cref="BatchMember.EncodingError"/> and the rest of the group is still sent.</summary>
internal sealed class MicroBatchEncoder
{

    private readonly EncoderSettings _settings;

    public MicroBatchEncoder(EncoderSettings settings) => _settings = settings;

    public EncodedBatch Encode(IReadOnlyList<InputLine> lines)
    {
        var requestId = _settings.NewId();
        return _settings.IsMicroBatching ? EncodeMerged(lines, requestId) : EncodeEach(lines, requestId);
    }

    /// <summary>A group none of whose lines can be sent, each with <paramref name="reason"/>.</summary>
    public EncodedBatch Unsendable(IReadOnlyList<InputLine> lines, string reason)
    {
        var requestId = _settings.NewId();
        var members = lines.Select((line, n) => new BatchMember(line.Index, lines.Count == 1 ? requestId : $"{requestId}-item-{n}") { EncodingError = reason }).ToList();
        return new EncodedBatch(members, null, requestId) { IsSplit = _settings.IsMicroBatching };
    }

    /// <summary>Batch size 1: each line is its own request (the group has one line).</summary>
    private EncodedBatch EncodeEach(IReadOnlyList<InputLine> lines, string requestId)
    {
        if (lines.Count != 1)
        {
            throw new ArgumentException("without micro-batching a request holds exactly one line", nameof(lines));
        }

        var line = lines[0];
        var member = new BatchMember(line.Index, requestId) { Rows = 1 };
        string? body = null;
        try
        {
            body = EncodeSingle(line, member);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            member.EncodingError = $"invalid JSON: {ex.Message}";
        }

        if (member.EncodingError is not null)
        {
            body = null;
        }

        return new EncodedBatch([member], body, requestId);
    }

    private string? EncodeSingle(InputLine line, BatchMember member)
    {
        if (string.IsNullOrWhiteSpace(line.Text))
        {
            member.EncodingError = "blank line: there is no instance to send";
            return null;
        }

        if (_settings.DataType == DataType.Str)
        {
            return SeldonJson.WriteObject(w =>
            {
                w.WriteString("strData", ReadText(line.Text));
                WriteMeta(w, null, member);
            });
        }

        if (_settings.DataType == DataType.Data && _settings.PayloadType == PayloadType.Ndarray)
        {
            return EncodeNdarray(line.Text, member);
        }

        var node = SeldonJson.Parse(line.Text);
        switch (_settings.DataType)
        {
            case DataType.Json:
                return SeldonJson.WriteObject(w =>
                {
                    w.WritePropertyName("jsonData");
                    SeldonJson.WriteNode(w, node);
                    WriteMeta(w, null, member);
                });
            case DataType.Raw:
                return EncodeRaw(node, member);
            default:
                return EncodeData(node, member);
        }
    }

    internal static string ReadText(string line)
    {
        if (line.TrimStart().StartsWith('"'))
        {
            try
            {
                if (SeldonJson.Parse(line) is JsonValue value && value.GetValueKind() == JsonValueKind.String)
                {
                    return value.GetValue<string>();
                }
            }
            catch (JsonException)
            {
                // Not a JSON string after all: the bare line is the text.
            }
        }

        return line;
    }

    /// <summary>An ndarray line, read as a document and written straight from it (no node tree: this is the common case).</summary>
    private string? EncodeNdarray(string text, BatchMember member)
    {
        using var document = SeldonJson.ParseDocument(text);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            member.EncodingError = $"wrong shape: an ndarray line must be a JSON array, found {SeldonJson.Describe(root)}";
            return null;
        }

        return SeldonJson.WriteObject((this, root, member), static (w, s) =>
        {
            var (self, root, member) = s;
            w.WritePropertyName("data"u8);
            w.WriteStartObject();
            w.WritePropertyName("ndarray"u8);
            root.WriteTo(w);
            w.WriteEndObject();
            self.WriteMeta(w, null, member);
        });
    }

    private string? EncodeData(JsonNode? node, BatchMember member)
    {
        switch (_settings.PayloadType)
        {
            case PayloadType.Ndarray:
                if (node is not JsonArray)
                {
                    member.EncodingError = $"wrong shape: an ndarray line must be a JSON array, found {SeldonJson.Describe(node)}";
                    return null;
                }

                return SeldonJson.WriteObject(w =>
                {
                    w.WritePropertyName("data");
                    w.WriteStartObject();
                    w.WritePropertyName("ndarray");
                    node.WriteTo(w);
                    w.WriteEndObject();
                    WriteMeta(w, null, member);
                });
            default:
                var shape = ArrayShape.TryRead(node, out var error);
                if (shape is null)
                {
                    member.EncodingError = $"wrong shape: {error}";
                    return null;
                }

                return SeldonJson.WriteObject(w =>
                {
                    w.WritePropertyName("data");
                    w.WriteStartObject();
                    if (_settings.PayloadType == PayloadType.Tensor)
                    {
                        WriteTensor(w, shape.Dimensions, shape.Values);
                    }
                    else
                    {
                        WriteTfTensor(w, shape);
                    }

                    w.WriteEndObject();
                    WriteMeta(w, null, member);
                });
        }
    }

    private string? EncodeRaw(JsonNode? node, BatchMember member)
    {
        if (node is not JsonObject message)
        {
            member.EncodingError = $"wrong shape: a raw line must be a JSON object, found {SeldonJson.Describe(node)}";
            return null;
        }

        // Feedback has no meta of its own: the tags travel in the request it gives feedback on.
        var carrier = message;
        if (_settings.Method == PredictionMethod.Feedback)
        {
            switch (message["request"])
            {
                case null:
                    carrier = new JsonObject();
                    message["request"] = carrier;
                    break;
                case JsonObject request:
                    carrier = request;
                    break;
                default:
                    member.EncodingError = "wrong shape: a feedback's \"request\" must be an object";
                    return null;
            }
        }

        var tags = TagsOf(carrier, create: true, out var error);
        if (tags is null)
        {
            member.EncodingError = error;
            return null;
        }

        member.UserTags = (JsonObject)tags.DeepClone();
        SetBatchTags(tags, member);
        return SeldonJson.WriteObject(w =>
        {
            foreach (var property in message)
            {
                w.WritePropertyName(property.Key);
                SeldonJson.WriteNode(w, property.Value);
            }
        });
    }

    private static JsonObject? TagsOf(JsonObject message, bool create, out string? error)
    {
        error = null;
        JsonObject meta;
        switch (message["meta"])
        {
            case null when create:
                meta = new JsonObject();
                message["meta"] = meta;
                break;
            case null:
                return null;
            case JsonObject m:
                meta = m;
                break;
            default:
                error = "wrong shape: \"meta\" must be an object";
                return null;
        }

        switch (meta["tags"])
        {
            case null when create:
                var tags = new JsonObject();
                meta["tags"] = tags;
                return tags;
            case null:
                return null;
            case JsonObject t:
                return t;
            default:
                error = "wrong shape: \"meta.tags\" must be an object";
                return null;
        }
    }

    private void SetBatchTags(JsonObject tags, BatchMember member)
    {
        tags[BatchTags.BatchId] = _settings.BatchId;
        tags[BatchTags.BatchIndex] = member.Index;
        tags[BatchTags.BatchInstanceId] = member.InstanceId;
    }

    /// <summary>Batch size above 1: the rows of every good line go into one request.</summary>
    private EncodedBatch EncodeMerged(IReadOnlyList<InputLine> lines, string requestId)
    {
        var members = new List<BatchMember>(lines.Count);
        var rows = new List<RowSource>(lines.Count);
        var sources = new List<RowSource>(lines.Count);
        RowSource? first = null;
        for (var n = 0; n < lines.Count; n++)
        {
            var member = new BatchMember(lines[n].Index, $"{requestId}-item-{n}");
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
                source = RowSource.FromNdarray(SeldonJson.ParseDocument(line.Text), out error);
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

    private static void WriteTensor(Utf8JsonWriter w, int[] dims, IEnumerable<JsonNode?> values)
    {
        w.WritePropertyName("tensor");
        w.WriteStartObject();
        w.WritePropertyName("shape");
        w.WriteStartArray();
        foreach (var d in dims)
        {
            w.WriteNumberValue(d);
        }

        w.WriteEndArray();
        w.WritePropertyName("values");
        w.WriteStartArray();
        foreach (var v in values)
        {
            SeldonJson.WriteNode(w, v);
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    /// <summary>Integers become DT_INT64 (int64 travels as JSON strings in proto3 JSON), anything else DT_DOUBLE,
    /// as the Python client's numpy conversion does.</summary>
    private static void WriteTfTensor(Utf8JsonWriter w, ArrayShape shape)
    {
        var integers = shape.AllIntegers && shape.Values.TrueForAll(v => long.TryParse(v.ToJsonString(), out _));
        w.WritePropertyName("tftensor");
        w.WriteStartObject();
        w.WriteString("dtype", integers ? "DT_INT64" : "DT_DOUBLE");
        w.WritePropertyName("tensorShape");
        w.WriteStartObject();
        w.WritePropertyName("dim");
        w.WriteStartArray();
        foreach (var d in shape.Dimensions)
        {
            w.WriteStartObject();
            w.WriteString("size", d.ToString(System.Globalization.CultureInfo.InvariantCulture));
            w.WriteEndObject();
        }

        w.WriteEndArray();
        w.WriteEndObject();
        w.WritePropertyName(integers ? "int64Val" : "doubleVal");
        w.WriteStartArray();
        foreach (var v in shape.Values)
        {
            if (integers)
            {
                w.WriteStringValue(v.ToJsonString());
            }
            else
            {
                v.WriteTo(w);
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
    }

    private void WriteMeta(Utf8JsonWriter w, JsonObject? userTags, BatchMember member)
    {
        w.WritePropertyName("meta");
        w.WriteStartObject();
        w.WritePropertyName("tags");
        w.WriteStartObject();
        if (userTags is not null)
        {
            foreach (var tag in userTags)
            {
                w.WritePropertyName(tag.Key);
                SeldonJson.WriteNode(w, tag.Value);
            }
        }

        w.WriteString(BatchTags.BatchId, _settings.BatchId);
        w.WriteNumber(BatchTags.BatchIndex, member.Index);
        w.WriteString(BatchTags.BatchInstanceId, member.InstanceId);
        w.WriteEndObject();
        w.WriteEndObject();
    }

}
