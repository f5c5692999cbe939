using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>JSON numbers read as doubles for the gRPC edges' direct paths to wire bytes. Data lines are mostly short
/// numbers (<c>41</c>, <c>5.1</c>, <c>-0.25</c>); <see cref="Utf8JsonReader.TryGetDouble"/> gives each of them the full
/// decimal-to-binary conversion, which was a third of the Seldon request's conversion at batch size 32.</summary>
internal static class ProtoJsonNumbers
{
    // Powers of ten up to 10^15 are exact doubles, so are integers below 10^15 (< 2^53).
    private const int MaxDigits = 15;

    private static readonly double[] PowersOfTen =
        [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

    /// <summary>The current number token as a double: exactly what <see cref="Utf8JsonReader.TryGetDouble"/> gives.</summary>
    public static bool TryGetDouble(ref Utf8JsonReader reader, out double value) =>
        (!reader.HasValueSequence && TryParseShort(reader.ValueSpan, out value)) || reader.TryGetDouble(out value);

    /// <summary>A number of at most 15 digits without an exponent (a valid JSON number token, as the reader gives it):
    /// its digits as an exact integer divided by an exact power of ten. One IEEE division of two exact values is correctly
    /// rounded, as .NET's parsing is, so the result is the same double. False for anything else, which the caller
    /// parses the long way.</summary>
    internal static bool TryParseShort(ReadOnlySpan<byte> text, out double value)
    {
        value = 0;
        var negative = text.Length > 0 && text[0] == (byte)'-';
        ulong digits = 0;
        var count = 0;
        var scale = -1; // digits after the point; -1 before one is seen
        for (var i = negative ? 1 : 0; i < text.Length; i++)
        {
            var digit = (uint)(text[i] - '0');
            if (digit <= 9)
            {
                if (++count > MaxDigits)
                {
                    return false;
                }

                digits = (digits * 10) + digit;
                scale += scale >= 0 ? 1 : 0;
            }
            else if (text[i] == (byte)'.' && scale < 0)
            {
                scale = 0;
            }
            else
            {
                return false; // an exponent (or not a number at all)
            }
        }

        if (count == 0)
        {
            return false;
        }

        var magnitude = scale > 0 ? digits / PowersOfTen[scale] : digits;
        value = negative ? -magnitude : magnitude;
        return true;
    }
}
