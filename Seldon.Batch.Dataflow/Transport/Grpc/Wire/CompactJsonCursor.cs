namespace Seldon.Batch.Dataflow;

/// <summary>A forward cursor over compact JSON that the processor's own encoders wrote (no whitespace, printable ASCII
/// texts without escapes), shared by the compact paths from JSON to wire bytes (<see cref="SeldonProtoJson"/>,
/// <see cref="OpenInferenceProtoJson"/>): each method takes what it expects at <see cref="At"/> and moves past it, or
/// is false and leaves the cursor where a caller gives way to the general path.</summary>
internal ref struct CompactJsonCursor(ReadOnlySpan<byte> json)
{
    /// <summary>The whole text.</summary>
    public readonly ReadOnlySpan<byte> Json = json;

    /// <summary>Where the next byte is.</summary>
    public int At;

    /// <summary>Whether every byte was taken.</summary>
    public readonly bool AtEnd => At == Json.Length;

    /// <summary>The bytes at <paramref name="span"/> (a text's content, as <see cref="Text"/> says where it is).</summary>
    public readonly ReadOnlySpan<byte> Slice((int Start, int Length) span) => Json.Slice(span.Start, span.Length);

    /// <summary>The next byte, or 0 at the end.</summary>
    public readonly byte Peek() => At < Json.Length ? Json[At] : (byte)0;

    /// <summary>Takes <paramref name="expected"/> when it is next.</summary>
    public bool Take(byte expected)
    {
        if (At < Json.Length && Json[At] == expected)
        {
            At++;
            return true;
        }

        return false;
    }

    /// <summary>Takes <paramref name="expected"/> when it comes next.</summary>
    public bool Take(ReadOnlySpan<byte> expected)
    {
        if (Json[At..].StartsWith(expected))
        {
            At += expected.Length;
            return true;
        }

        return false;
    }

    /// <summary>One or more digits.</summary>
    public bool Digits()
    {
        var start = At;
        while (At < Json.Length && (uint)(Json[At] - '0') <= 9)
        {
            At++;
        }

        return At > start;
    }

    /// <summary>A string of printable ASCII without escapes: where its content is.</summary>
    public bool Text(out (int Start, int Length) text)
    {
        text = default;
        if (!Take((byte)'"'))
        {
            return false;
        }

        var start = At;
        while (At < Json.Length && Json[At] is >= 0x20 and < 0x7F and not (byte)'"' and not (byte)'\\')
        {
            At++;
        }

        text = (start, At - start);
        return Take((byte)'"');
    }

    /// <summary>A JSON number, -?(0|[1-9][0-9]*)(.[0-9]+)? and, when <paramref name="exponent"/>, ([eE][+-]?[0-9]+)?: its
    /// text (without an exponent allowed, an exponent is left untaken, for the caller to refuse).</summary>
    public bool Number(bool exponent, out ReadOnlySpan<byte> number)
    {
        number = default;
        var start = At;
        Take((byte)'-');
        if (!Take((byte)'0') && !(Peek() is >= (byte)'1' and <= (byte)'9' && Digits()))
        {
            return false;
        }

        if (Take((byte)'.') && !Digits())
        {
            return false;
        }

        if (exponent && (Take((byte)'e') || Take((byte)'E')))
        {
            if (!Take((byte)'-'))
            {
                Take((byte)'+');
            }

            if (!Digits())
            {
                return false;
            }
        }

        number = Json[start..At];
        return true;
    }

    /// <summary>Whether the key at <paramref name="key"/> is among <paramref name="keys"/> already seen.</summary>
    public readonly bool Seen(ReadOnlySpan<(int Start, int Length)> keys, (int Start, int Length) key)
    {
        foreach (var (start, length) in keys)
        {
            if (Json.Slice(start, length).SequenceEqual(Json.Slice(key.Start, key.Length)))
            {
                return true;
            }
        }

        return false;
    }
}
