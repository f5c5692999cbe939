using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow;

/// <summary>The direct path from an answer's protobuf wire bytes to JSON text (see <see cref="SeldonProtoJson"/>).</summary>
internal static partial class SeldonProtoJson
{
    /// <summary>Thrown inside the direct reader when the message is not of the shape it handles (rare: a new one each
    /// time, as an exception object must not be thrown on two threads at once).</summary>
    internal sealed class NotPlainException : Exception;

    /// <summary>The JSON, or null when the message is not of the plain shape this path handles (the library decides): the
    /// text of <see cref="TryFromWireDirectUtf8"/>'s bytes.</summary>
    internal static string? TryFromWireDirect(byte[] wire) => TryFromWireDirectUtf8(wire) is { } json ? Encoding.UTF8.GetString(json) : null;

    /// <summary>The UTF-8 bytes of the answer's JSON, as the writer writes them (no string made of them), or null when the
    /// message is not of the plain shape this path handles.</summary>
    internal static byte[]? TryFromWireDirectUtf8(byte[] wire)
    {
        try
        {
            return SeldonJson.WriteUtf8Object((wire, MessageParts.Read(wire)), WriteMessage);
        }
        catch (Exception ex) when (ex is NotPlainException or InvalidProtocolBufferException)
        {
            return null;
        }
    }

    /// <summary>The properties of a plain message's JSON object (<paramref name="state"/>: its bytes and where its parts are).</summary>
    private static void WriteMessage(Utf8JsonWriter w, (byte[] Wire, MessageParts Parts) state)
    {
        var (bytes, p) = state;
        if (p.Status.Length >= 0)
        {
            w.WritePropertyName("status"u8);
            w.WriteRawValue(Formatter.Format(Status.Parser.ParseFrom(bytes, p.Status.Start, p.Status.Length)), skipInputValidation: true);
        }

        if (p.Meta.Length >= 0)
        {
            // A meta the direct path cannot write (metrics, say) goes to the library alone, not the whole answer.
            w.WritePropertyName("meta"u8);
            var meta = bytes.AsSpan(p.Meta.Start, p.Meta.Length);
            if (IsPlainMeta(meta))
            {
                WriteMeta(w, meta);
            }
            else
            {
                var library = Formatter.Format(Meta.Parser.ParseFrom(bytes, p.Meta.Start, p.Meta.Length));
                w.WriteRawValue(WithFloats(library, isMeta: true), skipInputValidation: true);
            }
        }

        w.WritePropertyName("data"u8);
        WriteData(w, new WireReader(bytes.AsSpan(p.Data.Start, p.Data.Length)));
    }

    private readonly record struct Slice(int Start, int Length)
    {
        public static readonly Slice None = new(0, -1);
    }

    /// <summary>Where a SeldonMessage's status, meta and data are; only messages with data and nothing else beside them.</summary>
    private readonly record struct MessageParts(Slice Status, Slice Meta, Slice Data)
    {
        public static MessageParts Read(byte[] wire)
        {
            var reader = new WireReader(wire);
            Slice status = Slice.None, meta = Slice.None, data = Slice.None;
            while (!reader.End)
            {
                var (field, type) = reader.Tag();
                if (type != Delimited)
                {
                    throw new NotPlainException();
                }

                var content = reader.Delimited();
                var slice = new Slice(reader.Position - content.Length, content.Length);
                if (field is < 1 or > 3 || (field == 1 ? status : field == 2 ? meta : data).Length >= 0)
                {
                    // Another kind of data, an unknown field, or a message field given twice (the library merges those).
                    throw new NotPlainException();
                }

                if (field == 1)
                {
                    status = slice;
                }
                else if (field == 2)
                {
                    meta = slice;
                }
                else
                {
                    data = slice;
                }
            }

            return data.Length < 0 ? throw new NotPlainException() : new MessageParts(status, meta, data);
        }
    }

    private static void WriteData(Utf8JsonWriter w, WireReader reader)
    {
        var names = new List<string>();
        var payload = default(ReadOnlySpan<byte>);
        var payloadField = 0;
        while (!reader.End)
        {
            var (field, type) = reader.Tag();
            if (type != Delimited)
            {
                throw new NotPlainException();
            }

            var content = reader.Delimited();
            if (field == 1)
            {
                names.Add(Encoding.UTF8.GetString(content));
            }
            else if (field is 2 or 3 && payloadField == 0)
            {
                payloadField = field;
                payload = content;
            }
            else
            {
                throw new NotPlainException();
            }
        }

        if (payloadField == 0)
        {
            throw new NotPlainException();
        }

        w.WriteStartObject();
        WriteArray(w, "names"u8, names, static (w, name) => w.WriteStringValue(name));

        if (payloadField == 3)
        {
            w.WritePropertyName("ndarray"u8);
            if (!TryWriteNumberList(w, payload))
            {
                WriteList(w, new WireReader(payload), 1, floats: true);
            }
        }
        else
        {
            w.WritePropertyName("tensor"u8);
            WriteTensor(w, new WireReader(payload));
        }

        w.WriteEndObject();
    }

    private static void WriteTensor(Utf8JsonWriter w, WireReader reader)
    {
        var shape = new List<int>();
        var values = new List<double>();
        while (!reader.End)
        {
            var (field, type) = reader.Tag();
            switch (field, type)
            {
                case (1, Delimited):
                    for (var packed = new WireReader(reader.Delimited()); !packed.End;)
                    {
                        shape.Add((int)packed.Varint());
                    }

                    break;
                case (1, Varint):
                    shape.Add((int)reader.Varint());
                    break;
                case (2, Delimited):
                    var bytes = reader.Delimited();
                    if (bytes.Length % 8 != 0)
                    {
                        throw new NotPlainException();
                    }

                    for (var at = 0; at < bytes.Length; at += 8)
                    {
                        values.Add(BinaryPrimitives.ReadDoubleLittleEndian(bytes[at..]));
                    }

                    break;
                case (2, Fixed64):
                    values.Add(reader.Double());
                    break;
                default:
                    throw new NotPlainException();
            }
        }

        w.WriteStartObject();
        WriteArray(w, "shape"u8, shape, static (w, size) => w.WriteNumberValue(size));
        WriteArray(w, "values"u8, values, static (w, value) => WriteNumber(w, value, floats: true));
        w.WriteEndObject();
    }

    /// <summary>A repeated field; left out when empty, as the library leaves out default values.</summary>
    private static void WriteArray<T>(Utf8JsonWriter w, ReadOnlySpan<byte> name, List<T> items, Action<Utf8JsonWriter, T> write)
    {
        if (items.Count == 0)
        {
            return;
        }

        w.WriteStartArray(name);
        foreach (var item in items)
        {
            write(w, item);
        }

        w.WriteEndArray();
    }

    // The writers below take no writer (null) to check that a part can be written before anything of it is. With floats,
    // numbers are written as the REST servers write a float (the answer's data and tags: see FormatWithLibrary); without,
    // as the library writes a double.
    internal static void WriteList(Utf8JsonWriter? w, WireReader reader, int depth, bool floats = false)
    {
        if (depth > MaxDirectDepth)
        {
            throw new NotPlainException();
        }

        w?.WriteStartArray();
        while (!reader.End)
        {
            if (reader.Tag() != (1, Delimited))
            {
                throw new NotPlainException();
            }

            WriteValue(w, new WireReader(reader.Delimited()), depth, floats);
        }

        w?.WriteEndArray();
    }

    /// <summary>One Value holding exactly one kind; anything odd goes to the library.</summary>
    private static void WriteValue(Utf8JsonWriter? w, WireReader reader, int depth, bool floats = false)
    {
        if (reader.End)
        {
            throw new NotPlainException(); // a Value with no kind: the library refuses it
        }

        var tag = reader.Tag();
        switch (tag)
        {
            case (1, Varint):
                if (reader.Varint() != 0)
                {
                    throw new NotPlainException();
                }

                w?.WriteNullValue();
                break;
            case (2, Fixed64):
                WriteNumber(w, reader.Double(), floats);
                break;
            case (3, Delimited):
                var text = reader.Delimited();
                w?.WriteStringValue(Encoding.UTF8.GetString(text));
                break;
            case (4, Varint):
                var flag = reader.Varint() != 0;
                w?.WriteBooleanValue(flag);
                break;
            case (5, Delimited):
                WriteMap(w, reader.Delimited(), 1, MapValue.Value, depth + 1, floats);
                break;
            case (6, Delimited):
                WriteList(w, new WireReader(reader.Delimited()), depth + 1, floats);
                break;
            default:
                throw new NotPlainException();
        }

        if (!reader.End)
        {
            throw new NotPlainException(); // a second kind: the last one wins, the library's business
        }
    }

    /// <summary>What a map's values are: google.protobuf.Value (Struct fields, Meta.tags), string (Meta.requestPath)
    /// or int32 (Meta.routing).</summary>
    private enum MapValue
    {
        Value,
        String,
        Int32,
    }

    /// <summary>The entries (key = 1, value = 2) of map field <paramref name="field"/> as one JSON object, in the
    /// order they came, as the library writes a map. Empty or repeated keys and missing values go to the library.</summary>
    private static void WriteMap(Utf8JsonWriter? w, ReadOnlySpan<byte> message, int field, MapValue kind, int depth, bool floats = false)
    {
        if (depth > MaxDirectDepth)
        {
            throw new NotPlainException();
        }

        w?.WriteStartObject();
        HashSet<string>? keys = null;
        for (var reader = new WireReader(message); !reader.End;)
        {
            var (number, type) = reader.Tag();
            var content = type == Delimited ? reader.Delimited() : throw new NotPlainException();
            if (number != field)
            {
                continue;
            }

            var key = ReadEntry(content, kind, out var value, out var integer);
            if (!(keys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key))
            {
                throw new NotPlainException();
            }

            w?.WritePropertyName(key);
            switch (kind)
            {
                case MapValue.Value:
                    WriteValue(w, new WireReader(value), depth, floats);
                    break;
                case MapValue.String:
                    w?.WriteStringValue(Encoding.UTF8.GetString(value));
                    break;
                default:
                    w?.WriteNumberValue((int)integer);
                    break;
            }
        }

        w?.WriteEndObject();
    }

    /// <summary>A map entry's key, and its value: the bytes of a message or string, or an <paramref name="integer"/> for
    /// an int32 map. An entry without a key (or with an empty one) or a value, or with either twice, goes to the library.</summary>
    private static string ReadEntry(ReadOnlySpan<byte> entry, MapValue kind, out ReadOnlySpan<byte> value, out ulong integer)
    {
        string? key = null;
        value = default;
        integer = 0;
        var hasValue = false;
        for (var reader = new WireReader(entry); !reader.End;)
        {
            switch (reader.Tag())
            {
                case (1, Delimited) when key is null:
                    key = Encoding.UTF8.GetString(reader.Delimited());
                    break;
                case (2, Delimited) when !hasValue && kind != MapValue.Int32:
                    value = reader.Delimited();
                    hasValue = true;
                    break;
                case (2, Varint) when !hasValue && kind == MapValue.Int32:
                    integer = reader.Varint();
                    hasValue = true;
                    break;
                default:
                    throw new NotPlainException();
            }
        }

        return string.IsNullOrEmpty(key) || !hasValue ? throw new NotPlainException() : key;
    }

    /// <summary>Meta: puid (1), tags (2), routing (3), requestPath (4), in that order as the library writes them, each
    /// left out when empty; metrics (5) and anything else go to the library.</summary>
    private static void WriteMeta(Utf8JsonWriter? w, ReadOnlySpan<byte> meta)
    {
        string? puid = null;
        var present = 0;
        for (var reader = new WireReader(meta); !reader.End;)
        {
            var (field, type) = reader.Tag();
            var content = type == Delimited ? reader.Delimited() : throw new NotPlainException();
            switch (field)
            {
                case 1 when puid is null:
                    puid = Encoding.UTF8.GetString(content);
                    break;
                case 2 or 3 or 4:
                    present |= 1 << field;
                    break;
                default:
                    throw new NotPlainException();
            }
        }

        w?.WriteStartObject();
        if (!string.IsNullOrEmpty(puid))
        {
            w?.WriteString("puid"u8, puid);
        }

        foreach (var (field, name, kind) in MetaMaps)
        {
            if ((present & (1 << field)) != 0)
            {
                w?.WritePropertyName(name);
                WriteMap(w, meta, field, kind, 1, floats: field == 2);
            }
        }

        w?.WriteEndObject();
    }

    private static readonly (int Field, string Name, MapValue Kind)[] MetaMaps =
        [(2, "tags", MapValue.Value), (3, "routing", MapValue.Int32), (4, "requestPath", MapValue.String)];

    private static bool IsPlainMeta(ReadOnlySpan<byte> meta)
    {
        try
        {
            WriteMeta(null, meta);
            return true;
        }
        catch (NotPlainException)
        {
            return false;
        }
    }

    /// <summary>A finite double, without a string: in the library's text (round-trip format, invariant culture), or with
    /// <paramref name="floats"/> as <see cref="PythonFloatText"/> writes it, as <see cref="FormatWithLibrary"/> rewrites
    /// the answer's data.</summary>
    private static void WriteNumber(Utf8JsonWriter? w, double number, bool floats = false)
    {
        if (!double.IsFinite(number))
        {
            throw new NotPlainException(); // the library writes "NaN" and "Infinity" as strings
        }

        Span<byte> text = stackalloc byte[PythonFloatText.MaxLength];
        var length = 0;
        if (floats)
        {
            length = PythonFloatText.Format(number, text);
        }
        else if (!number.TryFormat(text, out length, "r", CultureInfo.InvariantCulture))
        {
            throw new NotPlainException();
        }

        w?.WriteRawValue(text[..length], skipInputValidation: true);
    }

    /// <summary>Reads protobuf's wire format from a span; anything malformed is left to the library to report.</summary>
    internal ref struct WireReader
    {
        private readonly ReadOnlySpan<byte> _bytes;

        public WireReader(ReadOnlySpan<byte> bytes) => _bytes = bytes;

        public int Position { get; private set; }

        public readonly bool End => Position >= _bytes.Length;

        public (int Field, int Type) Tag()
        {
            var tag = Varint();
            if (tag > int.MaxValue || (tag >> 3) == 0)
            {
                throw new NotPlainException();
            }

            return ((int)(tag >> 3), (int)(tag & 7));
        }

        public ulong Varint()
        {
            ulong value = 0;
            for (var shift = 0; shift < 64; shift += 7)
            {
                if (Position >= _bytes.Length)
                {
                    throw new NotPlainException();
                }

                var b = _bytes[Position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw new NotPlainException();
        }

        public double Double()
        {
            if (Position + 8 > _bytes.Length)
            {
                throw new NotPlainException();
            }

            var value = BinaryPrimitives.ReadDoubleLittleEndian(_bytes[Position..]);
            Position += 8;
            return value;
        }

        public ReadOnlySpan<byte> Delimited()
        {
            var length = Varint();
            if (length > (ulong)(_bytes.Length - Position))
            {
                throw new NotPlainException();
            }

            var content = _bytes.Slice(Position, (int)length);
            Position += (int)length;
            return content;
        }
    }
}
