using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>Builds the output lines of a micro-batch from the model's answer: splits merged answers back
/// into one answer per line, merges tags (user, then model, then batch tags) and writes error records
/// that keep the shape of an answer.</summary>
internal sealed class OutputComposer
{
    /// <summary>Code of a line that was never sent because it could not be encoded.</summary>
    public const int UnsentCode = 400;


    private static readonly string[] MessageFieldOrder = ["status", "meta", "data", "binData", "strData", "jsonData", "customData"];

    private readonly string _batchId;

    public OutputComposer(string batchId) => _batchId = batchId;

    /// <summary>One result per member, in member order.</summary>
    /// <param name="batch">The encoded micro-batch.</param>
    /// <param name="answer">The model's answer body, when it answered with success.</param>
    /// <param name="failureCode">The HTTP or gRPC code of a failed request.</param>
    /// <param name="failure">Why the request failed; null when it succeeded.</param>
    public InstanceResult[] Compose(EncodedBatch batch, string? answer, int failureCode, string? failure)
    {
        if (failure is null && batch.HasRequest)
        {
            (failureCode, failure) = TryReadAnswer(answer, out var message);
            if (failure is null)
            {
                InstanceResult[]? results = null;
                failure = batch.IsSplit ? SplitAnswer(batch, message!, out results) : null;
                if (failure is null)
                {
                    return batch.IsSplit ? results! : [Answer(batch.Members[0], message!, message!["data"])];
                }

                failureCode = 502;
            }
        }

        var all = new InstanceResult[batch.Members.Count];
        for (var i = 0; i < all.Length; i++)
        {
            var m = batch.Members[i];
            all[i] = m.IsSent
                ? ErrorRecord(m, failureCode, failure ?? "the request was not sent")
                : ErrorRecord(m, UnsentCode, m.EncodingError!);
        }

        return all;
    }

    /// <summary>An error record: the shape of a Seldon failure, with the user's tags and the batch tags.</summary>
    public InstanceResult ErrorRecord(BatchMember member, int code, string reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
        {
            reason = "unknown failure";
        }

        var line = SeldonJson.WriteObject(w =>
        {
            w.WritePropertyName("status");
            w.WriteStartObject();
            w.WriteNumber("code", code);
            w.WriteString("info", "FAILURE");
            w.WriteString("reason", reason);
            w.WriteNumber("status", 1);
            w.WriteEndObject();
            w.WritePropertyName("meta");
            w.WriteStartObject();
            WriteTags(w, member, null);
            w.WriteEndObject();
        });
        return new InstanceResult(member.Index, line, reason);
    }

    private static (int Code, string? Failure) TryReadAnswer(string? answer, out JsonObject? message)
    {
        message = null;
        JsonNode? node;
        try
        {
            node = string.IsNullOrWhiteSpace(answer) ? null : SeldonJson.Parse(answer);
        }
        catch (JsonException ex)
        {
            return (502, $"unusable answer: the model's answer is not JSON: {ex.Message}");
        }

        if (node is not JsonObject obj)
        {
            return (502, $"unusable answer: the model's answer is not a JSON object but {SeldonJson.Describe(node)}");
        }

        if (obj["status"] is JsonObject status && IsFailure(status["status"]))
        {
            var code = status["code"] is JsonValue c && c.TryGetValue<double>(out var d) ? (int)d : 500;
            return (code, SeldonStatus.Describe(status));
        }

        message = obj;
        return (0, null);
    }

    private static bool IsFailure(JsonNode? flag) => flag is JsonValue v &&
        ((v.TryGetValue<double>(out var n) && n == 1) || (v.TryGetValue<string>(out var s) && s == "FAILURE"));

    private string? SplitAnswer(EncodedBatch batch, JsonObject message, out InstanceResult[]? results)
    {
        results = null;
        var sent = batch.Members.Where(m => m.IsSent).ToList();
        var total = sent.Sum(m => m.Rows);
        if (message["data"] is not JsonObject data)
        {
            return "unusable answer: the model's answer has no \"data\" to split into the lines of the micro-batch";
        }

        Func<int, int, JsonObject>? slice = null;
        if (data["ndarray"] is JsonArray ndarray)
        {
            if (ndarray.Count != total)
            {
                return $"unusable answer: the model answered {ndarray.Count} rows for the {total} rows of the micro-batch";
            }

            slice = (offset, rows) => SliceData(data, "ndarray", new JsonArray(ndarray.Skip(offset).Take(rows).Select(r => r?.DeepClone()).ToArray()));
        }
        else if (data["tensor"] is JsonObject tensor)
        {
            if (tensor["shape"] is not JsonArray shape || shape.Count == 0 || tensor["values"] is not JsonArray values
                || !shape.All(d => SeldonJson.IsNumber(d) && d!.GetValue<double>() is >= 0 and var v && v % 1 == 0))
            {
                return "unusable answer: the model's tensor answer has no shape or values";
            }

            var dims = shape.Select(d => (long)d!.GetValue<double>()).ToArray();
            var stride = dims.Skip(1).Aggregate(1L, (a, d) => a * d);
            if (dims[0] != total || values.Count != total * stride)
            {
                return $"unusable answer: the model answered a tensor of shape [{string.Join(',', dims)}] for the {total} rows of the micro-batch";
            }

            slice = (offset, rows) =>
            {
                var partShape = new JsonArray(dims.Select((d, k) => (JsonNode?)JsonValue.Create(k == 0 ? rows : d)).ToArray());
                var partValues = new JsonArray(values.Skip((int)(offset * stride)).Take((int)(rows * stride)).Select(v => v?.DeepClone()).ToArray());
                var part = new JsonObject();
                foreach (var p in tensor)
                {
                    part[p.Key] = p.Key switch
                    {
                        "shape" => partShape,
                        "values" => partValues,
                        _ => p.Value?.DeepClone(),
                    };
                }

                return SliceData(data, "tensor", part);
            };
        }

        if (slice is null)
        {
            return "unusable answer: the model's answer holds neither data.ndarray nor data.tensor, so it cannot be split into the lines of the micro-batch";
        }

        results = new InstanceResult[batch.Members.Count];
        var offset = 0;
        for (var i = 0; i < results.Length; i++)
        {
            var m = batch.Members[i];
            if (!m.IsSent)
            {
                results[i] = ErrorRecord(m, UnsentCode, m.EncodingError!);
                continue;
            }

            results[i] = Answer(m, message, slice(offset, m.Rows));
            offset += m.Rows;
        }

        return null;
    }

    private static JsonObject SliceData(JsonObject data, string payloadKey, JsonNode payload)
    {
        var part = new JsonObject();
        foreach (var p in data)
        {
            part[p.Key] = p.Key == payloadKey ? payload : p.Value?.DeepClone();
        }

        return part;
    }

    private InstanceResult Answer(BatchMember member, JsonObject message, JsonNode? data)
    {
        var modelTags = message["meta"] is JsonObject meta ? meta["tags"] as JsonObject : null;
        var line = SeldonJson.WriteObject(w =>
        {
            foreach (var p in InCanonicalOrder(message))
            {
                w.WritePropertyName(p.Key);
                if (p.Key == "data")
                {
                    SeldonJson.WriteNode(w, data);
                }
                else if (p.Key == "meta")
                {
                    // The answer's meta (a missing, null or malformed one is replaced) with the merged tags.
                    w.WriteStartObject();
                    foreach (var mp in p.Value as JsonObject ?? [])
                    {
                        if (mp.Key != "tags")
                        {
                            w.WritePropertyName(mp.Key);
                            SeldonJson.WriteNode(w, mp.Value);
                        }
                    }

                    WriteTags(w, member, modelTags);
                    w.WriteEndObject();
                }
                else
                {
                    SeldonJson.WriteNode(w, p.Value);
                }
            }
        });
        return new InstanceResult(member.Index, line, null);
    }

    /// <summary>The SeldonMessage fields in proto order (meta always), then any others: REST answers (in the model's order)
    /// and gRPC answers (in proto order) give the same output line.</summary>
    private static IEnumerable<KeyValuePair<string, JsonNode?>> InCanonicalOrder(JsonObject message)
    {
        foreach (var key in MessageFieldOrder)
        {
            // meta is always written: every output carries the batch tags.
            if (message.TryGetPropertyValue(key, out var value) || key == "meta")
            {
                yield return new(key, value);
            }
        }

        foreach (var p in message)
        {
            if (!MessageFieldOrder.Contains(p.Key))
            {
                yield return p;
            }
        }
    }

    /// <summary>Writes <c>"tags"</c>: the user's tags, the model's over them, the batch tags over both.</summary>
    private void WriteTags(Utf8JsonWriter w, BatchMember member, JsonObject? modelTags)
    {
        var tags = new OrderedDictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var source in new[] { member.UserTags, modelTags })
        {
            if (source is null)
            {
                continue;
            }

            foreach (var t in source)
            {
                tags[t.Key] = t.Value;
            }
        }

        tags[BatchTags.BatchId] = null;
        tags[BatchTags.BatchIndex] = null;
        tags[BatchTags.BatchInstanceId] = null;
        w.WritePropertyName("tags");
        w.WriteStartObject();
        foreach (var t in tags)
        {
            w.WritePropertyName(t.Key);
            switch (t.Key)
            {
                case BatchTags.BatchId:
                    w.WriteStringValue(_batchId);
                    break;
                case BatchTags.BatchIndex:
                    w.WriteNumberValue(member.Index);
                    break;
                case BatchTags.BatchInstanceId:
                    w.WriteStringValue(member.InstanceId);
                    break;
                default:
                    SeldonJson.WriteNode(w, t.Value);
                    break;
            }
        }

        w.WriteEndObject();
    }

}
