using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Transport;

/// <summary>JSON ⇄ protobuf for the gRPC edge. Google.Protobuf's <see cref="JsonParser"/> and <see cref="JsonFormatter"/>
/// define the conversion and do it for every message, except the shape that carries nearly all of a batch's bytes: a
/// <c>SeldonMessage</c> whose data is an <c>ndarray</c> or a <c>tensor</c> of plain JSON values. The library turns such a
/// message into one object per number and back, through a token, reflection and a string each: at batch size 32 that
/// was over a fifth of the client's CPU, the gap between gRPC and REST. The direct path here goes from the JSON text to
/// the wire bytes and back, with no message objects in between. It handles only plain JSON (finite numbers, strings,
/// booleans, nulls, arrays, objects, names, a meta of puid and tags) and hands anything else, whole, to the library, so
/// both give the same bytes, the same text and the same errors; property tests hold the two paths to that.</summary>
internal static class SeldonProtoJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    /// <summary>Arrays and objects nested deeper than this go to the library, which enforces its own recursion limit.</summary>
    private const int MaxDirectDepth = 16;

    // Wire types and the tags this path writes (field number << 3 | wire type).
    private const int Varint = 0;
    private const int Fixed64 = 1;
    private const int Delimited = 2;

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

    // ---------------------------------------------------------------- JSON → wire

    /// <summary>The bytes, or null when the text is not of the plain shape this path handles. One pass over the text
    /// with a <see cref="Utf8JsonReader"/>; each nested message's length is written after its content
    /// (<see cref="WireWriter"/>).</summary>
    internal static byte[]? TryToWireDirect(string json)
    {
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        var wire = new WireWriter(json.Length * 4 + 64);
        try
        {
            var reader = new Utf8JsonReader(utf8.AsSpan(0, Encoding.UTF8.GetBytes(json, utf8)));
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return null;
            }

            // Sections in the text's order; the library writes meta (2) before data (3), so they are put in that order.
            var meta = (Start: 0, End: -1);
            var data = (Start: 0, End: -1);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var start = wire.Length;
                if (reader.ValueTextEquals("data"u8) && data.End < 0 && reader.Read() && WriteData(ref reader, wire))
                {
                    data = (start, wire.Length);
                }
                else if (reader.ValueTextEquals("meta"u8) && meta.End < 0 && reader.Read() && WriteMeta(ref reader, wire))
                {
                    meta = (start, wire.Length);
                }
                else
                {
                    return null;
                }
            }

            if (reader.Read())
            {
                return null; // something after the object (the reader throws on anything but whitespace)
            }

            return meta.End >= 0 && data.End >= 0 && data.Start < meta.Start
                ? wire.ToArray(meta, data)
                : wire.ToArray();
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Invalid JSON, or a string the reader cannot unescape (a lone surrogate): the library reports it.
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
            wire.Dispose();
        }
    }

    // SeldonMessage.meta = 2: Meta { puid = 1 (string), tags = 2 (map<string, Value>) }; anything else goes to the library.
    private static bool WriteMeta(ref Utf8JsonReader reader, WireWriter wire)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var meta = wire.Begin(2);
        bool puid = false, tags = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("puid"u8) && !puid && reader.Read() && reader.TokenType == JsonTokenType.String)
            {
                puid = true;
                var value = reader.GetString()!;
                if (value.Length > 0)
                {
                    if (tags)
                    {
                        return false; // the library writes the puid (1) before the tags (2)
                    }

                    wire.String(1, value); // proto3 leaves an empty string out
                }
            }
            else if (reader.ValueTextEquals("tags"u8) && !tags && reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                tags = true;
                if (!WriteEntries(ref reader, wire, 2, 1))
                {
                    return false;
                }
            }
            else
            {
                return false;
            }
        }

        wire.End(meta);
        return true;
    }

    // SeldonMessage.data = 3: DefaultData { names = 1 (repeated string), tensor = 2, ndarray = 3 (ListValue) }.
    private static bool WriteData(ref Utf8JsonReader reader, WireWriter wire)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var data = wire.Begin(3);
        bool names = false, payload = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("names"u8) && !names && !payload && reader.Read() && reader.TokenType == JsonTokenType.StartArray)
            {
                names = true;
                while (reader.Read() && reader.TokenType == JsonTokenType.String)
                {
                    wire.String(1, reader.GetString()!);
                }

                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    return false;
                }
            }
            else if (reader.ValueTextEquals("ndarray"u8) && !payload && reader.Read() && reader.TokenType == JsonTokenType.StartArray)
            {
                payload = true;
                var list = wire.Begin(3);
                if (!WriteListContent(ref reader, wire, 1))
                {
                    return false;
                }

                wire.End(list);
            }
            else if (reader.ValueTextEquals("tensor"u8) && !payload && reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                payload = true;
                var tensor = wire.Begin(2);
                if (!WriteTensor(ref reader, wire))
                {
                    return false;
                }

                wire.End(tensor);
            }
            else
            {
                return false;
            }
        }

        wire.End(data);
        return true;
    }

    // Tensor { shape = 1 (packed int32), values = 2 (packed double) }: plain numbers only, shape first.
    private static bool WriteTensor(ref Utf8JsonReader reader, WireWriter wire)
    {
        bool shape = false, values = false;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("shape"u8) && !shape && !values && reader.Read() && reader.TokenType == JsonTokenType.StartArray)
            {
                shape = true;
                var packed = wire.Begin(1);
                while (reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var size))
                {
                    wire.Varint((ulong)(long)size); // a negative int32 is ten bytes, as protobuf writes it
                }

                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    return false;
                }

                wire.EndOrDrop(packed); // an empty repeated field is not written
            }
            else if (reader.ValueTextEquals("values"u8) && !values && reader.Read() && reader.TokenType == JsonTokenType.StartArray)
            {
                values = true;
                var packed = wire.Begin(2);
                while (reader.Read() && reader.TokenType == JsonTokenType.Number && reader.TryGetDouble(out var number) && double.IsFinite(number))
                {
                    wire.Double(number);
                }

                if (reader.TokenType != JsonTokenType.EndArray)
                {
                    return false;
                }

                wire.EndOrDrop(packed);
            }
            else
            {
                return false;
            }
        }

        return true;
    }

    // google.protobuf.ListValue { values = 1 (repeated Value) }; the reader is on the array's start.
    private static bool WriteListContent(ref Utf8JsonReader reader, WireWriter wire, int depth)
    {
        if (depth > MaxDirectDepth)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var value = wire.Begin(1);
            if (!WriteValueContent(ref reader, wire, depth))
            {
                return false;
            }

            wire.End(value);
        }

        return true;
    }

    // Map entries { key = 1 (string), value = 2 (Value) } as field <paramref name="field"/>: a Struct's fields (1) or
    // Meta's tags (2). Empty and repeated keys go to the library.
    private static bool WriteEntries(ref Utf8JsonReader reader, WireWriter wire, int field, int depth)
    {
        if (depth > MaxDirectDepth)
        {
            return false;
        }

        HashSet<string>? keys = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            if (key.Length == 0 || !(keys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key))
            {
                return false;
            }

            var entry = wire.Begin(field);
            wire.String(1, key);
            var value = wire.Begin(2);
            if (!reader.Read() || !WriteValueContent(ref reader, wire, depth))
            {
                return false;
            }

            wire.End(value);
            wire.End(entry);
        }

        return reader.TokenType == JsonTokenType.EndObject;
    }

    // google.protobuf.Value: null_value = 1, number_value = 2, string_value = 3, bool_value = 4, struct_value = 5,
    // list_value = 6; the reader is on the value's first token.
    private static bool WriteValueContent(ref Utf8JsonReader reader, WireWriter wire, int depth)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (!reader.TryGetDouble(out var number) || !double.IsFinite(number))
                {
                    return false;
                }

                wire.Tag(2, Fixed64);
                wire.Double(number);
                return true;
            case JsonTokenType.String:
                wire.String(3, reader.GetString()!);
                return true;
            case JsonTokenType.True or JsonTokenType.False:
                wire.Tag(4, Varint);
                wire.Varint(reader.TokenType == JsonTokenType.True ? 1UL : 0UL);
                return true;
            case JsonTokenType.Null:
                wire.Tag(1, Varint);
                wire.Varint(0);
                return true;
            case JsonTokenType.StartArray:
                var list = wire.Begin(6);
                if (!WriteListContent(ref reader, wire, depth + 1))
                {
                    return false;
                }

                wire.End(list);
                return true;
            case JsonTokenType.StartObject:
                var fields = wire.Begin(5);
                if (!WriteEntries(ref reader, wire, 1, depth + 1))
                {
                    return false;
                }

                wire.End(fields);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Protobuf's wire format into a pooled buffer. A length-delimited field is begun with one byte kept for its
    /// length and ended once its content is written; the rare content of 128 bytes or more is moved to make room for a
    /// longer length. Only fields numbered below 16 (one-byte tags).</summary>
    private sealed class WireWriter : IDisposable
    {
        private byte[] _buffer;

        public WireWriter(int capacity) => _buffer = ArrayPool<byte>.Shared.Rent(Math.Max(capacity, 256));

        public int Length { get; private set; }

        public void Tag(int field, int wireType) => Byte((byte)((field << 3) | wireType));

        public void Varint(ulong value)
        {
            Room(10);
            while (value >= 0x80)
            {
                _buffer[Length++] = (byte)(value | 0x80);
                value >>= 7;
            }

            _buffer[Length++] = (byte)value;
        }

        public void Double(double value)
        {
            Room(8);
            BinaryPrimitives.WriteDoubleLittleEndian(_buffer.AsSpan(Length), value);
            Length += 8;
        }

        public void String(int field, string value)
        {
            Tag(field, Delimited);
            var bytes = Encoding.UTF8.GetByteCount(value);
            Varint((ulong)bytes);
            Room(bytes);
            Length += Encoding.UTF8.GetBytes(value, _buffer.AsSpan(Length));
        }

        /// <summary>Starts a length-delimited field; returns where its length goes.</summary>
        public int Begin(int field)
        {
            Tag(field, Delimited);
            Byte(0);
            return Length - 1;
        }

        public void End(int mark)
        {
            var length = Length - mark - 1;
            if (length < 0x80)
            {
                _buffer[mark] = (byte)length;
                return;
            }

            var extra = CodedOutputStream.ComputeLengthSize(length) - 1;
            Room(extra);
            _buffer.AsSpan(mark + 1, length).CopyTo(_buffer.AsSpan(mark + 1 + extra));
            Length = mark;
            Varint((ulong)length);
            Length += length;
        }

        /// <summary>Ends the field, or takes it back, tag and all, when it holds nothing.</summary>
        public void EndOrDrop(int mark)
        {
            if (Length == mark + 1)
            {
                Length = mark - 1;
            }
            else
            {
                End(mark);
            }
        }

        public byte[] ToArray() => _buffer.AsSpan(0, Length).ToArray();

        /// <summary>The two ranges, first then second, and whatever precedes the first of them in the buffer.</summary>
        public byte[] ToArray((int Start, int End) first, (int Start, int End) second)
        {
            var bytes = new byte[Length];
            var at = 0;
            foreach (var (start, end) in new[] { first, second })
            {
                _buffer.AsSpan(start, end - start).CopyTo(bytes.AsSpan(at));
                at += end - start;
            }

            return at == Length ? bytes : throw new InvalidOperationException("the sections do not cover the message");
        }

        public void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

        private void Byte(byte value)
        {
            Room(1);
            _buffer[Length++] = value;
        }

        private void Room(int bytes)
        {
            if (Length + bytes > _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, Length + bytes));
                _buffer.AsSpan(0, Length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
        }
    }

    // ---------------------------------------------------------------- wire → JSON

    /// <summary>Thrown inside the direct reader when the message is not of the shape it handles.</summary>
    private sealed class NotPlainException : Exception
    {
        public static readonly NotPlainException Instance = new();
    }

    /// <summary>The JSON, or null when the message is not of the plain shape this path handles (the library decides).</summary>
    internal static string? TryFromWireDirect(byte[] wire)
    {
        try
        {
            var parts = MessageParts.Read(wire);
            return SeldonJson.WriteObject((wire, parts), static (w, state) =>
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
                        w.WriteRawValue(Formatter.Format(Meta.Parser.ParseFrom(bytes, p.Meta.Start, p.Meta.Length)), skipInputValidation: true);
                    }
                }

                w.WritePropertyName("data"u8);
                WriteData(w, new WireReader(bytes.AsSpan(p.Data.Start, p.Data.Length)));
            });
        }
        catch (Exception ex) when (ex is NotPlainException or InvalidProtocolBufferException)
        {
            return null;
        }
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
                    throw NotPlainException.Instance;
                }

                var content = reader.Delimited();
                var slice = new Slice(reader.Position - content.Length, content.Length);
                if (field is < 1 or > 3 || (field == 1 ? status : field == 2 ? meta : data).Length >= 0)
                {
                    // Another kind of data, an unknown field, or a message field given twice (the library merges those).
                    throw NotPlainException.Instance;
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

            return data.Length < 0 ? throw NotPlainException.Instance : new MessageParts(status, meta, data);
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
                throw NotPlainException.Instance;
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
                throw NotPlainException.Instance;
            }
        }

        if (payloadField == 0)
        {
            throw NotPlainException.Instance;
        }

        w.WriteStartObject();
        WriteArray(w, "names"u8, names, static (w, name) => w.WriteStringValue(name));

        if (payloadField == 3)
        {
            w.WritePropertyName("ndarray"u8);
            WriteList(w, new WireReader(payload), 1);
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
                        throw NotPlainException.Instance;
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
                    throw NotPlainException.Instance;
            }
        }

        w.WriteStartObject();
        WriteArray(w, "shape"u8, shape, static (w, size) => w.WriteNumberValue(size));
        WriteArray(w, "values"u8, values, WriteNumber);
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

    // The writers below take no writer (null) to check that a part can be written before anything of it is.
    private static void WriteList(Utf8JsonWriter? w, WireReader reader, int depth)
    {
        if (depth > MaxDirectDepth)
        {
            throw NotPlainException.Instance;
        }

        w?.WriteStartArray();
        while (!reader.End)
        {
            if (reader.Tag() != (1, Delimited))
            {
                throw NotPlainException.Instance;
            }

            WriteValue(w, new WireReader(reader.Delimited()), depth);
        }

        w?.WriteEndArray();
    }

    /// <summary>One Value holding exactly one kind; anything odd goes to the library.</summary>
    private static void WriteValue(Utf8JsonWriter? w, WireReader reader, int depth)
    {
        if (reader.End)
        {
            throw NotPlainException.Instance; // a Value with no kind: the library refuses it
        }

        var tag = reader.Tag();
        switch (tag)
        {
            case (1, Varint):
                if (reader.Varint() != 0)
                {
                    throw NotPlainException.Instance;
                }

                w?.WriteNullValue();
                break;
            case (2, Fixed64):
                WriteNumber(w, reader.Double());
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
                WriteMap(w, reader.Delimited(), 1, MapValue.Value, depth + 1);
                break;
            case (6, Delimited):
                WriteList(w, new WireReader(reader.Delimited()), depth + 1);
                break;
            default:
                throw NotPlainException.Instance;
        }

        if (!reader.End)
        {
            throw NotPlainException.Instance; // a second kind: the last one wins, the library's business
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
    private static void WriteMap(Utf8JsonWriter? w, ReadOnlySpan<byte> message, int field, MapValue kind, int depth)
    {
        if (depth > MaxDirectDepth)
        {
            throw NotPlainException.Instance;
        }

        w?.WriteStartObject();
        HashSet<string>? keys = null;
        for (var reader = new WireReader(message); !reader.End;)
        {
            var (number, type) = reader.Tag();
            var content = type == Delimited ? reader.Delimited() : throw NotPlainException.Instance;
            if (number != field)
            {
                continue;
            }

            string? key = null;
            var value = default(ReadOnlySpan<byte>);
            var hasValue = false;
            ulong integer = 0;
            for (var entry = new WireReader(content); !entry.End;)
            {
                switch (entry.Tag())
                {
                    case (1, Delimited) when key is null:
                        key = Encoding.UTF8.GetString(entry.Delimited());
                        break;
                    case (2, Delimited) when !hasValue && kind != MapValue.Int32:
                        value = entry.Delimited();
                        hasValue = true;
                        break;
                    case (2, Varint) when !hasValue && kind == MapValue.Int32:
                        integer = entry.Varint();
                        hasValue = true;
                        break;
                    default:
                        throw NotPlainException.Instance;
                }
            }

            if (string.IsNullOrEmpty(key) || !hasValue || !(keys ??= new HashSet<string>(StringComparer.Ordinal)).Add(key))
            {
                throw NotPlainException.Instance;
            }

            w?.WritePropertyName(key);
            switch (kind)
            {
                case MapValue.Value:
                    WriteValue(w, new WireReader(value), depth);
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

    /// <summary>Meta: puid (1), tags (2), routing (3), requestPath (4), in that order as the library writes them, each
    /// left out when empty; metrics (5) and anything else go to the library.</summary>
    private static void WriteMeta(Utf8JsonWriter? w, ReadOnlySpan<byte> meta)
    {
        string? puid = null;
        var present = 0;
        for (var reader = new WireReader(meta); !reader.End;)
        {
            var (field, type) = reader.Tag();
            var content = type == Delimited ? reader.Delimited() : throw NotPlainException.Instance;
            switch (field)
            {
                case 1 when puid is null:
                    puid = Encoding.UTF8.GetString(content);
                    break;
                case 2 or 3 or 4:
                    present |= 1 << field;
                    break;
                default:
                    throw NotPlainException.Instance;
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
                WriteMap(w, meta, field, kind, 1);
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

    /// <summary>A finite double in the library's text (round-trip format, invariant culture), without a string.</summary>
    private static void WriteNumber(Utf8JsonWriter? w, double number)
    {
        if (!double.IsFinite(number))
        {
            throw NotPlainException.Instance; // the library writes "NaN" and "Infinity" as strings
        }

        Span<byte> text = stackalloc byte[32];
        if (!number.TryFormat(text, out var length, "r", CultureInfo.InvariantCulture))
        {
            throw NotPlainException.Instance;
        }

        w?.WriteRawValue(text[..length], skipInputValidation: true);
    }

    /// <summary>Reads protobuf's wire format from a span; anything malformed is left to the library to report.</summary>
    private ref struct WireReader
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
                throw NotPlainException.Instance;
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
                    throw NotPlainException.Instance;
                }

                var b = _bytes[Position++];
                value |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return value;
                }
            }

            throw NotPlainException.Instance;
        }

        public double Double()
        {
            if (Position + 8 > _bytes.Length)
            {
                throw NotPlainException.Instance;
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
                throw NotPlainException.Instance;
            }

            var content = _bytes.Slice(Position, (int)length);
            Position += (int)length;
            return content;
        }
    }
}
