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
        private readonly ReadOnlySpan<byte> _json = json;
        private int _at;

        public byte[]? Message(WireWriter wire)
        {
            if (!Take((byte)'{'))
            {
                return null;
            }

            var meta = (Start: 0, End: -1);
            var data = (Start: 0, End: -1);
            if (!Take((byte)'}'))
            {
                do
                {
                    var start = wire.Length;
                    if (data.End < 0 && Take("\"data\":"u8))
                    {
                        if (!Data(wire))
                        {
                            return null;
                        }

                        data = (start, wire.Length);
                    }
                    else if (meta.End < 0 && Take("\"meta\":"u8) && Meta(wire))
                    {
                        meta = (start, wire.Length);
                    }
                    else
                    {
                        return null;
                    }
                }
                while (Take((byte)','));

                if (!Take((byte)'}'))
                {
                    return null;
                }
            }

            if (_at != _json.Length)
            {
                return null;
            }

            // As the direct path: the library writes meta (2) before data (3).
            return meta.End >= 0 && data.End >= 0 && data.Start < meta.Start ? wire.ToArray(meta, data) : wire.ToArray();
        }

        // SeldonMessage.data = 3: DefaultData { ndarray = 3 (ListValue) }.
        private bool Data(WireWriter wire)
        {
            if (!Take("{\"ndarray\":["u8))
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
            return Take((byte)'}');
        }

        // google.protobuf.ListValue { values = 1 (Value) } after its '[': numbers (number_value = 2) and lists
        // (list_value = 6), to the closing ']'.
        private bool ListContent(WireWriter wire, int depth)
        {
            if (depth > MaxDirectDepth)
            {
                return false;
            }

            if (Take((byte)']'))
            {
                return true;
            }

            do
            {
                var value = wire.Begin(1);
                if (Take((byte)'['))
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
            while (Take((byte)','));

            return Take((byte)']');
        }

        // A JSON number without an exponent (-?(0|[1-9][0-9]*)(.[0-9]+)?) of at most 15 digits, as a Value's number_value.
        private bool Number(WireWriter wire)
        {
            var start = _at;
            Take((byte)'-');
            if (!Take((byte)'0') && !(Peek() is >= (byte)'1' and <= (byte)'9' && Digits()))
            {
                return false;
            }

            if (Take((byte)'.') && !Digits())
            {
                return false;
            }

            if (!ProtoJsonNumbers.TryParseShort(_json[start.._at], out var number))
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
            if (!Take("{\"tags\":{"u8))
            {
                return false;
            }

            var meta = wire.Begin(2);
            Span<(int Start, int Length)> keys = stackalloc (int, int)[MaxCompactTags];
            var count = 0;
            if (!Take((byte)'}'))
            {
                do
                {
                    if (count == MaxCompactTags || !Text(out var key) || key.Length == 0 || Seen(keys[..count], key) || !Take((byte)':'))
                    {
                        return false;
                    }

                    keys[count++] = key;
                    var entry = wire.Begin(2);
                    wire.Bytes(1, _json.Slice(key.Start, key.Length));
                    var value = wire.Begin(2);
                    if (Peek() == (byte)'"')
                    {
                        if (!Text(out var text))
                        {
                            return false;
                        }

                        wire.Bytes(3, _json.Slice(text.Start, text.Length));
                    }
                    else if (!Number(wire))
                    {
                        return false;
                    }

                    wire.End(value);
                    wire.End(entry);
                }
                while (Take((byte)','));

                if (!Take((byte)'}'))
                {
                    return false;
                }
            }

            wire.End(meta);
            return Take((byte)'}');
        }

        private readonly bool Seen(ReadOnlySpan<(int Start, int Length)> keys, (int Start, int Length) key)
        {
            foreach (var (start, length) in keys)
            {
                if (_json.Slice(start, length).SequenceEqual(_json.Slice(key.Start, key.Length)))
                {
                    return true;
                }
            }

            return false;
        }

        // A string of printable ASCII without escapes: where its content is.
        private bool Text(out (int Start, int Length) text)
        {
            text = default;
            if (!Take((byte)'"'))
            {
                return false;
            }

            var start = _at;
            while (_at < _json.Length && _json[_at] is >= 0x20 and < 0x7F and not (byte)'"' and not (byte)'\\')
            {
                _at++;
            }

            text = (start, _at - start);
            return Take((byte)'"');
        }

        // One or more digits.
        private bool Digits()
        {
            var start = _at;
            while (_at < _json.Length && (uint)(_json[_at] - '0') <= 9)
            {
                _at++;
            }

            return _at > start;
        }

        private readonly byte Peek() => _at < _json.Length ? _json[_at] : (byte)0;

        private bool Take(byte expected)
        {
            if (_at < _json.Length && _json[_at] == expected)
            {
                _at++;
                return true;
            }

            return false;
        }

        private bool Take(ReadOnlySpan<byte> expected)
        {
            if (_json[_at..].StartsWith(expected))
            {
                _at += expected.Length;
                return true;
            }

            return false;
        }
    }
}
