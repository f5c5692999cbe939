using Google.Protobuf;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Transport;

/// <summary>JSON ⇄ protobuf for the gRPC edge. Google.Protobuf's <see cref="JsonParser"/> and <see cref="JsonFormatter"/>
/// define the conversion and do it for every message, except the shape that carries nearly all of a batch's bytes: a
/// <c>SeldonMessage</c> whose data is an <c>ndarray</c> or a <c>tensor</c> of plain JSON values. The library turns such a
/// message into one object per number and back, through a token, reflection and a string each: at batch size 32 that
/// was over a fifth of the client's CPU, the gap between gRPC and REST. The direct path here goes from the JSON text to
/// the wire bytes and back, with no message objects in between. It handles only plain JSON (finite numbers, strings,
/// booleans, nulls, arrays, objects, names; a meta of puid and tags, and in answers routing and requestPath too) and
/// hands anything else, whole, to the library, so both give the same bytes, the same text and the same errors; property
/// tests hold the two paths to that. Requests: <c>SeldonProtoJson.ToWire.cs</c>; answers: <c>SeldonProtoJson.FromWire.cs</c>.</summary>
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

    /// <summary>The JSON of the <c>SeldonMessage</c> in <paramref name="wire"/>, as <see cref="JsonFormatter"/> writes it
    /// (default values left out); fails as the library does.</summary>
    public static string FromWire(byte[] wire) => TryFromWireDirect(wire) ?? FormatWithLibrary(SeldonMessage.Parser.ParseFrom(wire));

    /// <summary>Parses a <c>Feedback</c> with the library (feedback is rare and small).</summary>
    public static Feedback ParseFeedback(string json) => Parser.Parse<Feedback>(json);

    /// <summary>The library's parse, the reference the direct path is held to.</summary>
    internal static SeldonMessage ParseWithLibrary(string json) => Parser.Parse<SeldonMessage>(json);

    /// <summary>The library's formatting, the reference the direct path is held to.</summary>
    internal static string FormatWithLibrary(IMessage message) => Formatter.Format(message);
}
