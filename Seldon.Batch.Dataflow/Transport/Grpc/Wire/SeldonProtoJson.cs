using System.Text.Json;
using Google.Protobuf;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow;

/// <summary>JSON ⇄ protobuf for the gRPC edge. Google.Protobuf's <see cref="JsonParser"/> and <see cref="JsonFormatter"/>
/// define the conversion and do it for every message, except the shape that carries nearly all of a batch's bytes: a
/// <c>SeldonMessage</c> whose data is an <c>ndarray</c> or a <c>tensor</c> of plain JSON values. The library turns such a
/// message into one object per number and back, through a token, reflection and a string each: at batch size 32 that
/// was over a fifth of the client's CPU, the gap between gRPC and REST. The direct path here goes from the JSON text to
/// the wire bytes and back, with no message objects in between. It handles only plain JSON (finite numbers, strings,
/// booleans, nulls, arrays, objects, names; a meta of puid and tags, and in answers routing and requestPath too) and
/// hands anything else, whole, to the library, so both give the same bytes, the same text and the same errors; property
/// tests hold the two paths to that. Requests: <c>SeldonProtoJson.ToWire.cs</c> (and, for the compact JSON the micro-batch
/// encoder writes, <c>SeldonProtoJson.Compact.cs</c>); answers: <c>SeldonProtoJson.FromWire.cs</c>.</summary>
internal static partial class SeldonProtoJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    /// <summary>Arrays and objects nested deeper than this go to the library, which enforces its own recursion limit.</summary>
    private const int MaxDirectDepth = 16;

    // Wire types and the tags this path writes (field number << 3 | wire type).
    internal const int Varint = 0;
    internal const int Fixed64 = 1;
    internal const int Delimited = 2;

    /// <summary>The protobuf bytes of the <c>SeldonMessage</c> in <paramref name="json"/>; fails as <see cref="JsonParser"/> does.</summary>
    public static byte[] ToWire(string json) => TryToWireDirect(json) ?? ParseWithLibrary(json).ToByteArray();

    /// <summary>The protobuf bytes of the request's <c>SeldonMessage</c>, read from its UTF-8 body as it is: by the compact
    /// path when the body is as the micro-batch encoder writes it (<see cref="TryToWireCompact"/>), else by the direct one
    /// (its text made only for the library, when neither takes it); fails as <see cref="ToWire(string)"/> does.</summary>
    public static byte[] ToWire(PredictionRequest request) =>
        TryToWireCompact(request.Utf8Body) ?? TryToWireDirect(request.Utf8Body) ?? ParseWithLibrary(request.Body).ToByteArray();

    /// <summary>The JSON of the <c>SeldonMessage</c> in <paramref name="wire"/>, as <see cref="JsonFormatter"/> writes it
    /// (default values left out); fails as the library does.</summary>
    public static string FromWire(byte[] wire) => TryFromWireDirect(wire) ?? FormatWithLibrary(SeldonMessage.Parser.ParseFrom(wire));

    /// <summary>The UTF-8 bytes of <see cref="FromWire"/>'s JSON, written as UTF-8 by the direct path (no string made of
    /// them); the library's text encoded when it is the library's.</summary>
    public static byte[] FromWireUtf8(byte[] wire) =>
        TryFromWireDirectUtf8(wire) ?? System.Text.Encoding.UTF8.GetBytes(FormatWithLibrary(SeldonMessage.Parser.ParseFrom(wire)));

    /// <summary>Parses a <c>Feedback</c> with the library (feedback is rare and small).</summary>
    public static Feedback ParseFeedback(string json) => Parser.Parse<Feedback>(json);

    /// <summary>The library's parse, the reference the direct path is held to.</summary>
    internal static SeldonMessage ParseWithLibrary(string json) => Parser.Parse<SeldonMessage>(json);

    /// <summary>The library's formatting, the reference the direct path is held to, with the numbers the model server
    /// writes as floats over REST written so (<see cref="PythonFloatText"/>: <c>186.0</c> where the library writes
    /// <c>186</c>): those of <c>data.ndarray</c>, <c>data.tensor.values</c> and <c>meta.tags</c>, which the server holds
    /// as doubles (a numpy float array, protobuf Values). Other numbers (<c>jsonData</c>, metrics) are the library's.</summary>
    internal static string FormatWithLibrary(IMessage message)
    {
        var json = Formatter.Format(message);
        return message is SeldonMessage answer
            && ((answer.Meta?.Tags.Count ?? 0) > 0
                || (answer.DataOneofCase == SeldonMessage.DataOneofOneofCase.Data
                    && answer.Data.DataOneofCase is DefaultData.DataOneofOneofCase.Ndarray or DefaultData.DataOneofOneofCase.Tensor))
            ? WithFloats(json, isMeta: false)
            : json;
    }

    /// <summary>The library's JSON of a SeldonMessage (or, with <paramref name="isMeta"/>, of its Meta) with the numbers of
    /// its data and tags written as floats; everything else token for token as it was.</summary>
    internal static string WithFloats(string json, bool isMeta)
    {
        var reader = new Utf8JsonReader(System.Text.Encoding.UTF8.GetBytes(json));
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(json.Length + 64);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = SeldonJson.WriteOptions.Encoder, SkipValidation = true }))
        {
            // The names of the properties the reader is in, by depth in the message: data or meta (1); ndarray, tensor
            // or tags (2); values (3). A Meta alone is a message's meta one level down.
            var path = new string?[4];
            var shift = isMeta ? 1 : 0;
            path[1] = isMeta ? "meta" : null;
            while (reader.Read())
            {
                switch (reader.TokenType)
                {
                    case JsonTokenType.StartObject: w.WriteStartObject(); break;
                    case JsonTokenType.EndObject: w.WriteEndObject(); break;
                    case JsonTokenType.StartArray: w.WriteStartArray(); break;
                    case JsonTokenType.EndArray: w.WriteEndArray(); break;
                    case JsonTokenType.PropertyName:
                        var name = reader.GetString()!;
                        var depth = reader.CurrentDepth + shift;
                        if (depth < path.Length)
                        {
                            path[depth] = name;
                            Array.Clear(path, depth + 1, path.Length - depth - 1);
                        }

                        w.WritePropertyName(name);
                        break;
                    case JsonTokenType.String: w.WriteStringValue(reader.GetString()); break;
                    case JsonTokenType.True or JsonTokenType.False: w.WriteBooleanValue(reader.GetBoolean()); break;
                    case JsonTokenType.Null: w.WriteNullValue(); break;
                    case JsonTokenType.Number:
                        var isFloat = (path[1] == "data" && (path[2] == "ndarray" || (path[2] == "tensor" && path[3] == "values")))
                            || (path[1] == "meta" && path[2] == "tags");
                        if (isFloat && reader.TryGetDouble(out var number) && double.IsFinite(number))
                        {
                            PythonFloatText.Write(w, number);
                        }
                        else
                        {
                            w.WriteRawValue(reader.ValueSpan, skipInputValidation: true);
                        }

                        break;
                }
            }
        }

        return System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
