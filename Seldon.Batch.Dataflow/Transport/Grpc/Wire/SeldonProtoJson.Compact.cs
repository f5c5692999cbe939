namespace Seldon.Batch.Dataflow;

/// <summary>The compact path from a request's JSON to protobuf's wire bytes, ahead of the direct one (see
/// <see cref="SeldonProtoJson"/>): the request the micro-batch encoder writes for a data file, read byte by byte without
/// a <see cref="System.Text.Json.Utf8JsonReader"/>. At batch size 32 the reader's token machinery was most of the
/// request's conversion, itself a tenth of the client's CPU per row.</summary>
internal static partial class SeldonProtoJson
{
    /// <summary>The most tags the compact path takes (the encoder writes three); more go to the direct path.</summary>
    private const int MaxCompactTags = 8;

    /// <summary>The bytes, or null when the text is not exactly of the shape this path takes:
    /// <c>{"data":{"ndarray":[…]},"meta":{"tags":{…}}}</c> (either part may be left out or come first), without
    /// whitespace, the ndarray of nested arrays of plain numbers (no exponent, at most 15 digits), the tags' values numbers
    /// or strings of printable ASCII without escapes, their keys too, none repeated. Anything else is left to
    /// <see cref="TryToWireDirect(ReadOnlySpan{byte})"/>, which gives the same bytes for what this path takes
    /// (SeldonProtoJsonCompactProperties).</summary>
    internal static byte[]? TryToWireCompact(ReadOnlySpan<byte> json)
    {
        var wire = new WireWriter(json.Length * 4 + 64);
        try
        {
            return new CompactScan(json).Message(wire);
        }
        finally
        {
            wire.Dispose();
        }
    }

    /// <summary>A forward scan of compact JSON, writing the wire bytes as <see cref="TryToWireDirect(ReadOnlySpan{byte})"/>
    /// writes them; every method is false (or null) at the first byte it does not expect.</summary>
    private ref struct CompactScan(ReadOnlySpan<byte> json)
    {
        private CompactJsonCursor _c = new(json);

        public byte[]? Message(WireWriter wire)
        {
            if (!_c.Take((byte)'{'))
            {
                return null;
            }

            var meta = (Start: 0, End: -1);
            var data = (Start: 0, End: -1);
            if (!_c.Take((byte)'}'))
            {
                do
                {
                    var start = wire.Length;
                    if (data.End < 0 && _c.Take("\"data\":"u8))
                    {
                        if (!Data(wire))
                        {
                            return null;
                        }

                        data = (start, wire.Length);
                    }
                    else if (meta.End < 0 && _c.Take("\"meta\":"u8) && Meta(wire))
                    {
                        meta = (start, wire.Length);
                    }
                    else
                    {
                        return null;
                    }
                }
                while (_c.Take((byte)','));

                if (!_c.Take((byte)'}'))
                {
                    return null;
                }
            }

            if (!_c.AtEnd)
            {
                return null;
            }

            // As the direct path: the library writes meta (2) before data (3).
            return meta.End >= 0 && data.End >= 0 && data.Start < meta.Start ? wire.ToArray(meta, data) : wire.ToArray();
        }

        // SeldonMessage.data = 3: DefaultData { ndarray = 3 (ListValue) }.
        private bool Data(WireWriter wire)
        {
            if (!_c.Take("{\"ndarray\":["u8))
            {
                return false;
            }

            var data = wire.Begin(3);
            var list = wire.Begin(3);
            if (!ListContent(wire, 1))
            {
                return false;
            }

            wire.End(list);
            wire.End(data);
            return _c.Take((byte)'}');
        }

        // google.protobuf.ListValue { values = 1 (Value) } after its '[': numbers (number_value = 2) and lists
        // (list_value = 6), to the closing ']'.
        private bool ListContent(WireWriter wire, int depth)
        {
            if (depth > MaxDirectDepth)
            {
                return false;
            }

            if (_c.Take((byte)']'))
            {
                return true;
            }

            do
            {
                var value = wire.Begin(1);
                if (_c.Take((byte)'['))
                {
                    var list = wire.Begin(6);
                    if (!ListContent(wire, depth + 1))
                    {
                        return false;
                    }

                    wire.End(list);
                }
                else if (!Number(wire))
                {
                    return false;
                }

                wire.End(value);
            }
            while (_c.Take((byte)','));

            return _c.Take((byte)']');
        }

        // A JSON number without an exponent (-?(0|[1-9][0-9]*)(.[0-9]+)?) of at most 15 digits, as a Value's number_value.
        private bool Number(WireWriter wire)
        {
            if (!_c.Number(exponent: false, out var text) || !ProtoJsonNumbers.TryParseShort(text, out var number))
            {
                return false;
            }

            wire.Tag(2, Fixed64);
            wire.Double(number);
            return true;
        }

        // Meta.tags = 2: map<string, Value> entries { key = 1, value = 2 }, each written as the direct path's WriteEntries.
        private bool Meta(WireWriter wire)
        {
            if (!_c.Take("{\"tags\":{"u8))
            {
                return false;
            }

            var meta = wire.Begin(2);
            Span<(int Start, int Length)> keys = stackalloc (int, int)[MaxCompactTags];
            var count = 0;
            if (!_c.Take((byte)'}'))
            {
                do
                {
                    if (count == MaxCompactTags || !_c.Text(out var key) || key.Length == 0 || _c.Seen(keys[..count], key) || !_c.Take((byte)':'))
                    {
                        return false;
                    }

                    keys[count++] = key;
                    var entry = wire.Begin(2);
                    wire.Bytes(1, _c.Slice(key));
                    var value = wire.Begin(2);
                    if (_c.Peek() == (byte)'"')
                    {
                        if (!_c.Text(out var text))
                        {
                            return false;
                        }

                        wire.Bytes(3, _c.Slice(text));
                    }
                    else if (!Number(wire))
                    {
                        return false;
                    }

                    wire.End(value);
                    wire.End(entry);
                }
                while (_c.Take((byte)','));

                if (!_c.Take((byte)'}'))
                {
                    return false;
                }
            }

            wire.End(meta);
            return _c.Take((byte)'}');
        }

    }
}
