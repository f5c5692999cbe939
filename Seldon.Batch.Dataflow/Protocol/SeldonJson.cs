using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>Shared JSON settings: output keeps non-ASCII text readable, input is strict JSON.</summary>
internal static class SeldonJson
{
    public static readonly JsonSerializerOptions WriteOptions = new()
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        WriteIndented = false,
    };

    public static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    // Duplicate properties are refused while parsing (a JsonException like any other syntax error), not later
    // when the object is read, where they would surface as an unexpected ArgumentException.
    public static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 256, AllowDuplicateProperties = false };

    /// <summary>Parses one JSON document. Text the writer could not write back (a lone UTF-16 surrogate such as
    /// <c>"\ud800"</c>, which the reader accepts) is refused here as a <see cref="JsonException"/>, like any other
    /// invalid JSON, instead of failing later where the line is written.</summary>
    public static JsonNode? Parse(string text)
    {
        var node = JsonNode.Parse(text, NodeOptions, DocumentOptions);
        if (node is not null && HasSurrogateEscape(text))
        {
            try
            {
                using var probe = new Utf8JsonWriter(Stream.Null, WriterOptions);
                node.WriteTo(probe);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                throw new JsonException($"unpaired UTF-16 surrogate escape: {ex.Message}", ex);
            }
        }

        return node;
    }

    /// <summary>Whether the text holds a <c>\uD800</c>–<c>\uDFFF</c> escape (rare: the slow check runs only then).</summary>
    private static bool HasSurrogateEscape(string text)
    {
        for (var at = text.IndexOf("\\u", StringComparison.Ordinal); at >= 0 && at + 3 < text.Length; at = text.IndexOf("\\u", at + 2, StringComparison.Ordinal))
        {
            if (text[at + 2] is 'd' or 'D' && text[at + 3] is (>= '8' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F'))
            {
                return true;
            }
        }

        return false;
    }

    public static string Write(JsonNode node) => node.ToJsonString(WriteOptions);

    public static bool IsNumber(JsonNode? node) =>
        node is JsonValue value && value.GetValueKind() == JsonValueKind.Number;

    /// <summary>Whether a JSON number was written without fraction or exponent, so it can stay an integer.</summary>
    public static bool IsIntegerLiteral(JsonNode node)
    {
        var text = node.ToJsonString();
        return text.AsSpan().IndexOfAny('.', 'e', 'E') < 0;
    }

    public static readonly JsonWriterOptions WriterOptions = new() { Encoder = WriteOptions.Encoder };

    /// <summary>Writes one JSON object with <paramref name="body"/> and returns it as text.</summary>
    public static string WriteObject(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void WriteNode(Utf8JsonWriter w, JsonNode? node)
    {
        if (node is null)
        {
            w.WriteNullValue();
        }
        else
        {
            node.WriteTo(w);
        }
    }

    public static string Describe(JsonNode? node) => node switch
    {
        null => "null",
        JsonArray => "an array",
        JsonObject => "an object",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "a string",
            JsonValueKind.Number => "a number",
            JsonValueKind.True or JsonValueKind.False => "a boolean",
            _ => "null",
        },
    };
}
