using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>Turns a group of input lines into Seldon requests: one, or one per run of lines that merge. A line that cannot
/// be encoded becomes a member with an <see cref="BatchMember.EncodingError"/> and the rest of the group is still sent.
/// The encoder forks once, on the batch size: one line per request (<c>MicroBatchEncoder.OneLine.cs</c>) or the rows of a
/// group merged (<c>MicroBatchEncoder.Merged.cs</c>), where a line that cannot join the lines before it starts the next
/// request instead of failing; table rows have a path of their own (<c>MicroBatchEncoder.Rows.cs</c>); this file holds
/// what they use.</summary>
internal sealed partial class MicroBatchEncoder
{
    private readonly EncoderSettings _settings;
    private readonly Func<string> _newId;

    /// <param name="settings">What the run's lines are and how they are grouped.</param>
    /// <param name="newId">Where request ids come from: <see cref="RequestIds.Next"/> when null (tests pass a counter, for
    /// stable ids).</param>
    public MicroBatchEncoder(EncoderSettings settings, Func<string>? newId = null)
    {
        _settings = settings;
        _newId = newId ?? RequestIds.Next;
    }

    /// <summary>The requests of a group, members in line order across them; table rows in one request of their own
    /// (<c>MicroBatchEncoder.Rows.cs</c>).</summary>
    public IReadOnlyList<EncodedBatch> Encode(IReadOnlyList<InputLine> lines) =>
        TableRow.AnyIn(lines) ? [EncodeRows(lines)] : _settings.IsMicroBatching ? EncodeMerged(lines) : [EncodeEach(lines, _newId())];

    /// <summary>A group none of whose lines can be sent, each with <paramref name="reason"/>: the block could not encode
    /// them (<see cref="LineFailureKind.NotSent"/>).</summary>
    public EncodedBatch Unsendable(IReadOnlyList<InputLine> lines, string reason)
    {
        var requestId = _newId();
        var members = lines.Select((line, n) => new BatchMember(line.Index, lines.Count == 1 ? requestId : $"{requestId}-item-{n}") { EncodingError = reason, EncodingErrorKind = LineFailureKind.NotSent }).ToList();
        return new EncodedBatch(members, null, requestId) { IsSplit = _settings.IsMicroBatching };
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
}
