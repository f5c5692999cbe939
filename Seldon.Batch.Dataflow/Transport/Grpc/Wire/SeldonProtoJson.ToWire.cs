using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Google.Protobuf;

namespace Seldon.Batch.Dataflow;

/// <summary>The direct path from a request's JSON text to protobuf's wire bytes (see <see cref="SeldonProtoJson"/>).</summary>
internal static partial class SeldonProtoJson
{
    /// <summary>The bytes, or null when the text is not of the plain shape this path handles. One pass over the text
    /// with a <see cref="Utf8JsonReader"/>; each nested message's length is written after its content
    /// (<see cref="WireWriter"/>).</summary>
    internal static byte[]? TryToWireDirect(string json)
    {
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            return TryToWireDirect(utf8.AsSpan(0, Encoding.UTF8.GetBytes(json, utf8)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    /// <summary>As <see cref="TryToWireDirect(string)"/>, from the text's UTF-8 bytes (a request's body as the encoders
    /// write it).</summary>
    internal static byte[]? TryToWireDirect(ReadOnlySpan<byte> json)
    {
        var wire = new WireWriter(json.Length * 4 + 64);
        try
        {
            var reader = new Utf8JsonReader(json);
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
                var isData = reader.ValueTextEquals("data"u8) && data.End < 0;
                var isMeta = reader.ValueTextEquals("meta"u8) && meta.End < 0;
                if (!(isData || isMeta) || !reader.Read() || !(isData ? WriteData(ref reader, wire) : WriteMeta(ref reader, wire)))
                {
                    return null;
                }

                if (isData)
                {
                    data = (start, wire.Length);
                }
                else
                {
                    meta = (start, wire.Length);
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
                while (reader.Read() && reader.TokenType == JsonTokenType.Number && ProtoJsonNumbers.TryGetDouble(ref reader, out var number) && double.IsFinite(number))
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
                if (!ProtoJsonNumbers.TryGetDouble(ref reader, out var number) || !double.IsFinite(number))
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
    /// longer length. Only fields numbered below 16 (one-byte tags). The Open Inference requests use it too
    /// (<see cref="OpenInferenceProtoJson"/>).</summary>
    internal sealed class WireWriter : IDisposable
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

        /// <summary>A length-delimited field of UTF-8 text or bytes as they are.</summary>
        public void Bytes(int field, ReadOnlySpan<byte> value)
        {
            Tag(field, Delimited);
            Varint((ulong)value.Length);
            Room(value.Length);
            value.CopyTo(_buffer.AsSpan(Length));
            Length += value.Length;
        }

        /// <summary>Room for <paramref name="bytes"/> more bytes, to be written in place and then kept by
        /// <see cref="Advance"/>.</summary>
        public Span<byte> Reserve(int bytes)
        {
            Room(bytes);
            return _buffer.AsSpan(Length, bytes);
        }

        public void Advance(int bytes) => Length += bytes;

        /// <summary>Appends all that <paramref name="other"/> holds.</summary>
        public void Append(WireWriter other)
        {
            Room(other.Length);
            other._buffer.AsSpan(0, other.Length).CopyTo(_buffer.AsSpan(Length));
            Length += other.Length;
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

        /// <summary>The message with its two sections swapped into field order: <paramref name="first"/>, then
        /// <paramref name="second"/>; together they must be all that was written.</summary>
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
}
