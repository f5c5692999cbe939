using System.Buffers;

namespace Seldon.Batch.Dataflow;

/// <summary>An answer's ndarray of lists and numbers (what model servers answer) from wire bytes to JSON text without the
/// <see cref="System.Text.Json.Utf8JsonWriter"/>'s work per value: its text is put together in a pooled buffer and given
/// to the writer whole. At batch size 32 the writer's per-value calls were most of the answer's conversion.</summary>
internal static partial class SeldonProtoJson
{
    /// <summary>Writes the ndarray <paramref name="payload"/> (a ListValue's bytes) as the bytes <see cref="WriteList"/>
    /// writes for it with floats, when it holds only lists and finite numbers no deeper than
    /// <see cref="MaxDirectDepth"/>; false, with nothing written, for anything else (WriteList then decides).</summary>
    internal static bool TryWriteNumberList(System.Text.Json.Utf8JsonWriter w, ReadOnlySpan<byte> payload)
    {
        var text = new NumberListText((payload.Length * 3) + 64);
        try
        {
            if (!text.List(new WireReader(payload), 1))
            {
                return false;
            }

            w.WriteRawValue(text.Written, skipInputValidation: true);
            return true;
        }
        catch (NotPlainException)
        {
            return false; // malformed bytes: WriteList meets them too
        }
        finally
        {
            text.Dispose();
        }
    }

    /// <summary>Compact JSON text of lists and numbers (<see cref="PythonFloatText"/>) in a pooled buffer.</summary>
    private ref struct NumberListText(int capacity)
    {
        private byte[] _buffer = ArrayPool<byte>.Shared.Rent(capacity);
        private int _length;

        public readonly ReadOnlySpan<byte> Written => _buffer.AsSpan(0, _length);

        // google.protobuf.ListValue { values = 1 (Value) }: each a number_value (2) or a list_value (6), one kind each.
        public bool List(WireReader reader, int depth)
        {
            if (depth > MaxDirectDepth)
            {
                return false;
            }

            Put((byte)'[');
            for (var first = true; !reader.End; first = false)
            {
                if (reader.Tag() != (1, Delimited))
                {
                    return false;
                }

                if (!first)
                {
                    Put((byte)',');
                }

                var value = new WireReader(reader.Delimited());
                if (value.End || !Value(ref value, depth) || !value.End)
                {
                    return false;
                }
            }

            Put((byte)']');
            return true;
        }

        private bool Value(ref WireReader value, int depth)
        {
            var tag = value.Tag();
            if (tag == (6, Delimited))
            {
                return List(new WireReader(value.Delimited()), depth + 1);
            }

            if (tag != (2, Fixed64))
            {
                return false;
            }

            var number = value.Double();
            if (!double.IsFinite(number))
            {
                return false;
            }

            Room(PythonFloatText.MaxLength);
            _length += PythonFloatText.Format(number, _buffer.AsSpan(_length));
            return true;
        }

        public readonly void Dispose() => ArrayPool<byte>.Shared.Return(_buffer);

        private void Put(byte value)
        {
            Room(1);
            _buffer[_length++] = value;
        }

        private void Room(int bytes)
        {
            if (_length + bytes > _buffer.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(_buffer.Length * 2, _length + bytes));
                _buffer.AsSpan(0, _length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(_buffer);
                _buffer = larger;
            }
        }
    }
}
