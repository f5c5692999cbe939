using System.Buffers.Binary;
using System.Buffers.Text;
using System.Text.Json;
using static Seldon.Batch.Dataflow.SeldonProtoJson;

namespace Seldon.Batch.Dataflow;

/// <summary>The compact path from an InferenceRequest's JSON to a <c>ModelInferRequest</c>'s wire bytes, ahead of the
/// direct one (<see cref="TryToWireDirect(ReadOnlySpan{byte}, string, string)"/>): the request as the V2 encoder
/// (<see cref="InferenceRequestEncoder"/>) writes it, read in one forward scan without a <see cref="Utf8JsonReader"/>, as
/// <c>SeldonProtoJson.Compact.cs</c> reads the Seldon encoder's. At batch size 1 the reader's token machinery made the V2
/// request's conversion twice the Seldon one's.</summary>
internal static partial class OpenInferenceProtoJson
{
    /// <summary>The most parameters of one map the compact path takes; more go to the direct path.</summary>
    private const int MaxCompactParameters = 8;

    /// <summary>The deepest nesting of a tensor's data the compact path takes; deeper goes to the direct path.</summary>
    private const int MaxCompactDepth = 16;

    /// <summary>The datatypes the compact path knows, as <see cref="Element"/> numbers them.</summary>
    private static readonly string[] CompactDatatypes =
        ["BOOL", "INT8", "UINT8", "INT16", "UINT16", "INT32", "UINT32", "INT64", "UINT64", "FP16", "FP32", "FP64", "BYTES"];

    /// <summary>The bytes of one raw value of each <see cref="Element"/> (BYTES has none).</summary>
    private static readonly int[] CompactSizes = [1, 1, 1, 2, 2, 4, 4, 8, 8, 2, 4, 8, 0];

    private enum Element { Bool, Int8, UInt8, Int16, UInt16, Int32, UInt32, Int64, UInt64, Fp16, Fp32, Fp64, Bytes }

    /// <summary>The bytes, or null when the text is not exactly of the shape the encoder writes:
    /// <c>{"id":"…"[,"parameters":{…}],"inputs":[{"name":"…","shape":[…],"datatype":"…"[,"parameters":{…}],"data":[…]},…]}</c>
    /// without whitespace or outputs; names, ids, keys and string values of printable ASCII without escapes; parameters'
    /// values plain (booleans, numbers, strings), none repeated; data of the datatype's plain values (numbers, booleans,
    /// or strings and nulls for BYTES), nested at most <see cref="MaxCompactDepth"/> deep. Anything else is left to the
    /// direct path, which gives the same bytes for what this path takes (OpenInferenceProtoJsonCompactProperties).</summary>
    internal static byte[]? TryToWireCompact(ReadOnlySpan<byte> json, string model, string version)
    {
        var wire = new WireWriter(json.Length + 256);
        var raw = new WireWriter((json.Length * 4) + 64);
        try
        {
            return new CompactRequestScan(json).Request(wire, raw, model, version) ? wire.ToArray() : null;
        }
        finally
        {
            wire.Dispose();
            raw.Dispose();
        }
    }

    /// <summary>A forward scan of the encoder's JSON, writing the wire bytes as the direct path writes them; every method
    /// is false at the first byte it does not expect.</summary>
    private ref struct CompactRequestScan(ReadOnlySpan<byte> json)
    {
        private CompactJsonCursor _c = new(json);

        // model_name = 1, model_version = 2, id = 3, parameters = 4, inputs = 5 (as they come), raw_input_contents = 7
        // (from raw, after them).
        public bool Request(WireWriter wire, WireWriter raw, string model, string version)
        {
            if (!_c.Take("{\"id\":"u8) || !_c.Text(out var id))
            {
                return false;
            }

            WriteText(wire, 1, model);
            WriteText(wire, 2, version);
            if (id.Length > 0)
            {
                wire.Bytes(3, _c.Slice(id));
            }

            if (_c.Take(",\"parameters\":"u8) && !Parameters(wire, 4))
            {
                return false;
            }

            if (!_c.Take(",\"inputs\":["u8) || !Inputs(wire, raw) || !_c.Take((byte)'}') || !_c.AtEnd)
            {
                return false; // outputs among them: the direct path writes those
            }

            wire.Append(raw);
            return true;
        }

        private bool Inputs(WireWriter wire, WireWriter raw)
        {
            if (_c.Take((byte)']'))
            {
                return true;
            }

            do
            {
                if (!Input(wire, raw))
                {
                    return false;
                }
            }
            while (_c.Take((byte)','));

            return _c.Take((byte)']');
        }

        // InferInputTensor { name = 1, datatype = 2, shape = 3 (packed int64), parameters = 4, contents = 5 }: the shape,
        // which comes before the datatype in the text, is read twice, checked first and written after the datatype.
        private bool Input(WireWriter wire, WireWriter raw)
        {
            if (!_c.Take("{\"name\":"u8) || !_c.Text(out var name) || !_c.Take(",\"shape\":["u8))
            {
                return false;
            }

            var shape = _c.At;
            if (!Shape(null) || !_c.Take(",\"datatype\":"u8) || !_c.Text(out var datatype) || Datatype(datatype) is not { } type)
            {
                return false;
            }

            var tensor = wire.Begin(5);
            if (name.Length > 0)
            {
                wire.Bytes(1, _c.Slice(name));
            }

            wire.Bytes(2, _c.Slice(datatype));
            var after = _c.At;
            _c.At = shape;
            Shape(wire);
            _c.At = after;
            if ((_c.Take(",\"parameters\":"u8) && !Parameters(wire, 4)) || !_c.Take(",\"data\":["u8) || !Data(wire, raw, type))
            {
                return false;
            }

            wire.End(tensor);
            return _c.Take((byte)'}');
        }

        // The shape's whole numbers after its '[', to its ']': written (packed, left out when empty) unless wire is null.
        private bool Shape(WireWriter? wire)
        {
            var packed = wire?.Begin(3) ?? 0;
            if (!_c.Take((byte)']'))
            {
                do
                {
                    if (!_c.Number(exponent: true, out var number) || !Utf8Parser.TryParse(number, out long dimension, out var used) || used != number.Length)
                    {
                        return false;
                    }

                    wire?.Varint((ulong)dimension);
                }
                while (_c.Take((byte)','));

                if (!_c.Take((byte)']'))
                {
                    return false;
                }
            }

            wire?.EndOrDrop(packed);
            return true;
        }

        // BYTES as the tensor's contents (5) of bytes_contents (8); numbers and booleans as one raw_input_contents (7) entry.
        private bool Data(WireWriter wire, WireWriter raw, Element type)
        {
            var into = type == Element.Bytes ? wire : raw;
            var contents = into.Begin(type == Element.Bytes ? 5 : 7);
            if (!Values(into, type, 1))
            {
                return false;
            }

            into.End(contents);
            return true;
        }

        // The values of a (nested) array after its '[', depth first, to its ']'.
        private bool Values(WireWriter wire, Element type, int depth)
        {
            if (depth > MaxCompactDepth)
            {
                return false;
            }

            if (_c.Take((byte)']'))
            {
                return true;
            }

            do
            {
                if (_c.Take((byte)'[') ? !Values(wire, type, depth + 1) : !Value(wire, type))
                {
                    return false;
                }
            }
            while (_c.Take((byte)','));

            return _c.Take((byte)']');
        }

        // One value: a string (or null, empty) of BYTES as bytes_contents (8), else little-endian as RawValues writes it.
        private bool Value(WireWriter wire, Element type)
        {
            if (type == Element.Bytes)
            {
                if (_c.Take("null"u8))
                {
                    wire.Bytes(8, []);
                    return true;
                }

                if (!_c.Text(out var text))
                {
                    return false;
                }

                wire.Bytes(8, _c.Slice(text));
                return true;
            }

            if (type == Element.Bool)
            {
                var truth = _c.Take("true"u8);
                if (!truth && !_c.Take("false"u8))
                {
                    return false;
                }

                wire.Reserve(1)[0] = truth ? (byte)1 : (byte)0;
                wire.Advance(1);
                return true;
            }

            return _c.Number(exponent: true, out var number) && Raw(wire, type, number);
        }

        // A number as its datatype's little-endian bytes, parsed as the reader's TryGet… calls parse it (whole numbers by
        // Utf8Parser, all of the text used; floats as ProtoJsonNumbers.TryGetDouble).
        private static bool Raw(WireWriter wire, Element type, ReadOnlySpan<byte> n)
        {
            var at = wire.Reserve(8);
            var used = -1;
            var size = CompactSizes[(int)type];
            switch (type)
            {
                case Element.Int8 when Utf8Parser.TryParse(n, out sbyte v, out used): at[0] = (byte)v; break;
                case Element.UInt8 when Utf8Parser.TryParse(n, out byte v, out used): at[0] = v; break;
                case Element.Int16 when Utf8Parser.TryParse(n, out short v, out used): BinaryPrimitives.WriteInt16LittleEndian(at, v); break;
                case Element.UInt16 when Utf8Parser.TryParse(n, out ushort v, out used): BinaryPrimitives.WriteUInt16LittleEndian(at, v); break;
                case Element.Int32 when Utf8Parser.TryParse(n, out int v, out used): BinaryPrimitives.WriteInt32LittleEndian(at, v); break;
                case Element.UInt32 when Utf8Parser.TryParse(n, out uint v, out used): BinaryPrimitives.WriteUInt32LittleEndian(at, v); break;
                case Element.Int64 when Utf8Parser.TryParse(n, out long v, out used): BinaryPrimitives.WriteInt64LittleEndian(at, v); break;
                case Element.UInt64 when Utf8Parser.TryParse(n, out ulong v, out used): BinaryPrimitives.WriteUInt64LittleEndian(at, v); break;
                case Element.Fp16 when ToDouble(n, out var v): BinaryPrimitives.WriteHalfLittleEndian(at, (Half)v); used = n.Length; break;
                case Element.Fp32 when ToDouble(n, out var v): BinaryPrimitives.WriteSingleLittleEndian(at, (float)v); used = n.Length; break;
                case Element.Fp64 when ToDouble(n, out var v): BinaryPrimitives.WriteDoubleLittleEndian(at, v); used = n.Length; break;
                default: return false;
            }

            if (used != n.Length)
            {
                return false;
            }

            wire.Advance(size);
            return true;
        }

        // map<string, InferParameter> as field <paramref name="field"/> after its property name, as WriteParameters
        // writes it: entries { key = 1 (left out when empty), value = 2 }, none repeated.
        private bool Parameters(WireWriter wire, int field)
        {
            if (!_c.Take((byte)'{'))
            {
                return false;
            }

            if (_c.Take((byte)'}'))
            {
                return true;
            }

            Span<(int Start, int Length)> keys = stackalloc (int, int)[MaxCompactParameters];
            var count = 0;
            do
            {
                if (count == MaxCompactParameters || !_c.Text(out var key) || _c.Seen(keys[..count], key) || !_c.Take((byte)':'))
                {
                    return false;
                }

                keys[count++] = key;
                var entry = wire.Begin(field);
                if (key.Length > 0)
                {
                    wire.Bytes(1, _c.Slice(key));
                }

                var value = wire.Begin(2);
                if (!Parameter(wire))
                {
                    return false;
                }

                wire.End(value);
                wire.End(entry);
            }
            while (_c.Take((byte)','));

            return _c.Take((byte)'}');
        }

        // InferParameter's oneof: bool_param = 1, int64_param = 2, string_param = 3, double_param = 4.
        private bool Parameter(WireWriter wire)
        {
            var truth = _c.Take("true"u8);
            if (truth || _c.Take("false"u8))
            {
                wire.Tag(1, Varint);
                wire.Varint(truth ? 1UL : 0UL);
            }
            else if (_c.Peek() == (byte)'"')
            {
                if (!_c.Text(out var text))
                {
                    return false;
                }

                wire.Bytes(3, _c.Slice(text));
            }
            else if (!_c.Number(exponent: true, out var number))
            {
                return false;
            }
            else if (Utf8Parser.TryParse(number, out long whole, out var used) && used == number.Length)
            {
                wire.Tag(2, Varint);
                wire.Varint((ulong)whole);
            }
            else if (ToDouble(number, out var real))
            {
                wire.Tag(4, Fixed64);
                wire.Double(real);
            }
            else
            {
                return false;
            }

            return true;
        }

        private readonly Element? Datatype((int Start, int Length) text)
        {
            var name = _c.Slice(text);
            for (var i = 0; i < CompactDatatypes.Length; i++)
            {
                if (System.Text.Ascii.Equals(name, CompactDatatypes[i]))
                {
                    return (Element)i;
                }
            }

            return null;
        }

    }

    /// <summary>A number's text as a double, as <see cref="ProtoJsonNumbers.TryGetDouble"/> reads its token.</summary>
    private static bool ToDouble(ReadOnlySpan<byte> number, out double value)
    {
        if (ProtoJsonNumbers.TryParseShort(number, out value))
        {
            return true;
        }

        var reader = new Utf8JsonReader(number);
        return reader.Read() && reader.TryGetDouble(out value);
    }
}
