using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>Batch size 1: each line is its own request, written from the line as the chosen data type and payload
/// type say (strData, jsonData, a raw message, or data as ndarray, tensor or tftensor).</summary>
internal sealed partial class MicroBatchEncoder
{
    /// <summary>Batch size 1: each line is its own request (the group has one line).</summary>
    private EncodedBatch EncodeEach(IReadOnlyList<InputLine> lines, string requestId)
    {
        if (lines.Count != 1)
        {
            throw new ArgumentException("without micro-batching a request holds exactly one line", nameof(lines));
        }

        var line = lines[0];
        var member = new BatchMember(line.Index, requestId) { Rows = 1 };
        byte[]? body = null;
        try
        {
            body = EncodeSingle(line, member);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or ArgumentException or FormatException)
        {
            member.EncodingError = $"invalid JSON: {ex.Message}";
        }

        // Every path that sets an encoding error returns no body, so a member with an error is never sent.
        return EncodedBatch.OfUtf8([member], body, requestId);
    }

    private byte[]? EncodeSingle(InputLine line, BatchMember member)
    {
        if (line.Failure is { } failure)
        {
            member.EncodingError = failure;
            return null;
        }

        if (line.IsBlank)
        {
            member.EncodingError = "blank line: there is no instance to send";
            return null;
        }

        if (_settings.DataType == DataType.Str)
        {
            return SeldonJson.WriteUtf8Object(w =>
            {
                w.WriteString("strData", ReadText(line.Text));
                WriteMeta(w, member);
            });
        }

        if (_settings.DataType == DataType.Data && _settings.PayloadType == PayloadType.Ndarray)
        {
            // A line of numbers as bytes (MicroBatchEncoder.OneLineBytes.cs); anything else through the writer.
            var scanned = false;
            return (WritesOneLineBytes ? TryEncodeNdarrayBytes(line, member, out scanned) : null) ?? EncodeNdarray(line, member, scan: !scanned);
        }

        var node = SeldonJson.Parse(line.Text);
        switch (_settings.DataType)
        {
            case DataType.Json:
                return SeldonJson.WriteUtf8Object(w =>
                {
                    w.WritePropertyName("jsonData");
                    SeldonJson.WriteNode(w, node);
                    WriteMeta(w, member);
                });
            case DataType.Raw:
                return EncodeRaw(node, member);
            default:
                return EncodeData(node, member);
        }
    }

    /// <summary>An ndarray line, read as a document and written straight from it (no node tree); <paramref name="scan"/>:
    /// first scanned without a document, unless the scan already declined it.</summary>
    private byte[]? EncodeNdarray(InputLine line, BatchMember member, bool scan)
    {
        // A line of numbers is scanned without a document (the same bytes); anything else is read as a document.
        using (var scanned = scan ? RowSource.TryScanNdarray(line) : null)
        {
            if (scanned is not null)
            {
                return SeldonJson.WriteUtf8Object((this, scanned, member), static (w, s) =>
                {
                    var (self, scanned, member) = s;
                    w.WritePropertyName("data"u8);
                    w.WriteStartObject();
                    w.WritePropertyName("ndarray"u8);
                    w.WriteStartArray();
                    scanned.WriteRows(w);
                    w.WriteEndArray();
                    w.WriteEndObject();
                    self.WriteMeta(w, member);
                });
            }
        }

        using var document = SeldonJson.ParseDocument(line.Text);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            member.EncodingError = $"wrong shape: an ndarray line must be a JSON array, found {SeldonJson.Describe(root)}";
            return null;
        }

        return SeldonJson.WriteUtf8Object((this, root, member), static (w, s) =>
        {
            var (self, root, member) = s;
            w.WritePropertyName("data"u8);
            w.WriteStartObject();
            w.WritePropertyName("ndarray"u8);
            root.WriteTo(w);
            w.WriteEndObject();
            self.WriteMeta(w, member);
        });
    }

    /// <summary>A data line as a tensor or a tftensor. (An ndarray data line never comes here: <see cref="EncodeSingle"/>
    /// writes it straight from its document with <see cref="EncodeNdarray"/>.)</summary>
    private byte[]? EncodeData(JsonNode? node, BatchMember member)
    {
        var shape = ArrayShape.TryRead(node, out var error);
        if (shape is null)
        {
            member.EncodingError = $"wrong shape: {error}";
            return null;
        }

        return SeldonJson.WriteUtf8Object(w =>
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
            WriteMeta(w, member);
        });
    }

    private byte[]? EncodeRaw(JsonNode? node, BatchMember member)
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
        return SeldonJson.WriteUtf8Object(w =>
        {
            foreach (var property in message)
            {
                w.WritePropertyName(property.Key);
                SeldonJson.WriteNode(w, property.Value);
            }
        });
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

    private void SetBatchTags(JsonObject tags, BatchMember member)
    {
        tags[BatchTags.BatchId] = _settings.BatchId;
        tags[BatchTags.BatchIndex] = member.Index;
        tags[BatchTags.BatchInstanceId] = member.InstanceId;
    }

    /// <summary>The meta of a one-line request: the batch tags alone (a raw line keeps its own meta instead).</summary>
    private void WriteMeta(Utf8JsonWriter w, BatchMember member)
    {
        w.WritePropertyName("meta");
        w.WriteStartObject();
        w.WritePropertyName("tags");
        w.WriteStartObject();
        w.WriteString(BatchTags.BatchId, _settings.BatchId);
        w.WriteNumber(BatchTags.BatchIndex, member.Index);
        w.WriteString(BatchTags.BatchInstanceId, member.InstanceId);
        w.WriteEndObject();
        w.WriteEndObject();
    }
}
