using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

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
        if (node is not null && MayHoldLoneSurrogate(text))
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

    /// <summary>Parses one JSON document (the caller disposes it). Text the writer could not write back (a lone UTF-16
    /// surrogate such as <c>"\ud800"</c>, which the reader accepts) is refused here as a <see cref="JsonException"/>,
    /// like any other invalid JSON, instead of failing later where it is written into a request.</summary>
    public static JsonDocument ParseDocument(string text)
    {
        var document = JsonDocument.Parse(text, DocumentOptions);
        if (MayHoldLoneSurrogate(text))
        {
            try
            {
                using var probe = new Utf8JsonWriter(Stream.Null, WriterOptions);
                document.RootElement.WriteTo(probe);
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
            {
                document.Dispose();
                throw new JsonException($"unpaired UTF-16 surrogate escape: {ex.Message}", ex);
            }
        }

        return document;
    }

    /// <summary>Whether the text holds a <c>\uD800</c>–<c>\uDFFF</c> escape (rare: the slow check runs only then).
    /// Searches for a backslash first: most lines have none, and a one-character search is the cheapest scan.</summary>
    private static bool MayHoldLoneSurrogate(string text)
    {
        var rest = text.AsSpan();
        for (var at = rest.IndexOf('\\'); at >= 0; at = rest.IndexOf('\\'))
        {
            if (at + 3 < rest.Length && rest[at + 1] == 'u' && rest[at + 2] is 'd' or 'D'
                && rest[at + 3] is (>= '8' and <= '9') or (>= 'a' and <= 'f') or (>= 'A' and <= 'F'))
            {
                return true;
            }

            rest = rest[(at + 1)..];
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
    public static string WriteObject(Action<Utf8JsonWriter> body) => WriteObject(body, static (w, b) => b(w));

    /// <summary>Writes one JSON object with <paramref name="body"/> and returns it as text; the state overload
    /// lets hot paths use static lambdas.</summary>
    public static string WriteObject<TState>(TState state, Action<Utf8JsonWriter, TState> body)
    {
        // A run writes one or two small JSON texts per line: into this thread's buffer, not a fresh one each.
        var text = ThreadBuffer<ObjectText>.Take();
        try
        {
            return Encoding.UTF8.GetString(Render(text, state, body));
        }
        finally
        {
            ThreadBuffer<ObjectText>.Finished(text);
        }
    }

    /// <summary>Writes one JSON object with <paramref name="body"/> and returns its UTF-8 bytes (a request body: what the
    /// transports send, without a string made of it and encoded back).</summary>
    public static byte[] WriteUtf8Object(Action<Utf8JsonWriter> body) => WriteUtf8Object(body, static (w, b) => b(w));

    /// <summary>As <see cref="WriteUtf8Object(Action{Utf8JsonWriter})"/>; the state overload lets hot paths use static
    /// lambdas.</summary>
    public static byte[] WriteUtf8Object<TState>(TState state, Action<Utf8JsonWriter, TState> body)
    {
        var text = ThreadBuffer<ObjectText>.Take();
        try
        {
            return Render(text, state, body).ToArray();
        }
        finally
        {
            ThreadBuffer<ObjectText>.Finished(text);
        }
    }

    private static ReadOnlySpan<byte> Render<TState>(ObjectText text, TState state, Action<Utf8JsonWriter, TState> body)
    {
        var w = text.Writer;
        w.WriteStartObject();
        body(w, state);
        w.WriteEndObject();
        w.Flush();
        return text.Buffer.WrittenSpan;
    }

    /// <summary>The buffer and writer of <see cref="WriteObject{TState}"/>, one per thread.</summary>
    private sealed class ObjectText : IThreadBuffer<ObjectText>
    {
        private ObjectText() => Writer = new Utf8JsonWriter(Buffer, WriterOptions);

        public ArrayBufferWriter<byte> Buffer { get; } = new(1024);

        public Utf8JsonWriter Writer { get; }

        public int Capacity => Buffer.Capacity;

        public static ObjectText Create() => new();

        public void Clear()
        {
            Buffer.ResetWrittenCount();
            Writer.Reset(Buffer);
        }
    }

    /// <summary>Characters that never need escaping in a JSON string: a value made only of them is written as it is.</summary>
    private static readonly SearchValues<char> PlainCharacters =
        SearchValues.Create("-_.0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");

    /// <summary>The longest value <see cref="IsPlain"/> accepts.</summary>
    public const int LongestPlain = 64;

    /// <summary>Whether <paramref name="value"/> is at most <see cref="LongestPlain"/> characters that never need escaping:
    /// its JSON string is its ASCII bytes in quotes.</summary>
    public static bool IsPlain(string value) => value.Length <= LongestPlain && !value.AsSpan().ContainsAnyExcept(PlainCharacters);

    /// <summary>Writes <c>"name":"value"</c> like <see cref="Utf8JsonWriter.WriteString(JsonEncodedText, string)"/>. Ids
    /// (dashed UUIDs, written into every output line) hold nothing to escape: their bytes are copied as they are
    /// instead of being searched for characters to escape; any other value is written the usual way.</summary>
    public static void WritePlainString(Utf8JsonWriter w, JsonEncodedText name, string value)
    {
        if (!IsPlain(value))
        {
            w.WriteString(name, value);
            return;
        }

        Span<byte> quoted = stackalloc byte[LongestPlain + 2];
        quoted[0] = (byte)'"';
        var length = Encoding.ASCII.GetBytes(value, quoted[1..]);
        quoted[length + 1] = (byte)'"';
        w.WritePropertyName(name);
        w.WriteRawValue(quoted[..(length + 2)], skipInputValidation: true);
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

    public static string Describe(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };
}
