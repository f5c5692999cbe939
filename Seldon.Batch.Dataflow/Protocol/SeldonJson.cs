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

    public static JsonNode? Parse(string text) => JsonNode.Parse(text, NodeOptions, DocumentOptions);

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
