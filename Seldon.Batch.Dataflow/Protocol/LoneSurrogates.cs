using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>JSON's <c>\uXXXX</c> escapes of a lone surrogate (a high one not followed by the escape of a low one, or a low
/// one alone): valid JSON text, but no Unicode character, which System.Text.Json refuses to read as a string. An answer
/// that has one is read with each such escape replaced by <c>\ufffd</c> (U+FFFD, the replacement character), as a bad
/// UTF-8 sequence in an answer is, so that its lines are written rather than failed; the escape has the same length, so
/// every other byte stays where it was.</summary>
internal static class LoneSurrogates
{
    /// <summary><paramref name="utf8"/> itself when it has no lone-surrogate escape, otherwise a copy with each replaced.</summary>
    public static ReadOnlyMemory<byte> Replace(ReadOnlyMemory<byte> utf8)
    {
        if (Next(utf8.Span, 0) < 0)
        {
            return utf8;
        }

        var copy = utf8.ToArray();
        for (var at = Next(copy, 0); at >= 0; at = Next(copy, at + 6))
        {
            "\\ufffd"u8.CopyTo(copy.AsSpan(at));
        }

        return copy;
    }

    /// <summary><paramref name="text"/> itself when it has no lone-surrogate escape, otherwise the text with each replaced.</summary>
    public static string? Replace(string? text)
    {
        if (text is null || !text.Contains("\\u", StringComparison.Ordinal))
        {
            return text;
        }

        var utf8 = Encoding.UTF8.GetBytes(text);
        var replaced = Replace(utf8);
        return replaced.Span == utf8 ? text : Encoding.UTF8.GetString(replaced.Span);
    }

    /// <summary>Where the next lone-surrogate escape at or after <paramref name="from"/> starts (its backslash), or -1.
    /// Every backslash in JSON text begins an escape (strings are the only place one may be), so escapes are read from
    /// one backslash to the next: <c>\\ud800</c> is an escaped backslash and text, not an escape of U+D800.</summary>
    internal static int Next(ReadOnlySpan<byte> utf8, int from)
    {
        var at = from;
        while (at < utf8.Length)
        {
            var found = utf8[at..].IndexOf((byte)'\\');
            if (found < 0)
            {
                return -1;
            }

            at += found;
            if (at + 1 >= utf8.Length || utf8[at + 1] != (byte)'u')
            {
                at += 2; // another escape (\" \\ \n …), or a backslash at the very end
                continue;
            }

            var unit = Unit(utf8, at);
            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return at; // a low surrogate with no high one before it (a pair's low half is skipped below)
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                if (Unit(utf8, at + 6) is not (>= 0xDC00 and <= 0xDFFF))
                {
                    return at;
                }

                at += 12; // a pair: one character
                continue;
            }

            at += 2; // another \u escape (or a broken one: the reader reports it), read on after its "\u"
        }

        return -1;
    }

    /// <summary>The code unit of the <c>\uXXXX</c> escape at <paramref name="at"/>, or -1 when there is none there.</summary>
    private static int Unit(ReadOnlySpan<byte> utf8, int at)
    {
        if (at + 6 > utf8.Length || utf8[at] != (byte)'\\' || utf8[at + 1] != (byte)'u')
        {
            return -1;
        }

        var unit = 0;
        for (var i = at + 2; i < at + 6; i++)
        {
            var digit = HexValue(utf8[i]);
            if (digit < 0)
            {
                return -1;
            }

            unit = (unit << 4) | digit;
        }

        return unit;
    }

    private static int HexValue(byte c) => c switch
    {
        >= (byte)'0' and <= (byte)'9' => c - '0',
        >= (byte)'a' and <= (byte)'f' => c - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => c - 'A' + 10,
        _ => -1,
    };
}
