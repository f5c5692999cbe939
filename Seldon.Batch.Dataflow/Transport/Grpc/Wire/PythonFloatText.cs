using System.Globalization;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>A double written as Python's <c>json</c> module writes a float (its <c>repr</c>), which is how the model servers
/// behind REST (Seldon Core's Python wrapper, MLServer) write the floats of an answer: the shortest digits that read
/// back as the same double, <c>.0</c> after an integral value (<c>186.0</c>, <c>-0.0</c>), and an exponent with its sign
/// and at least two digits when the exponent is below -4 or at least 16 (<c>1e+16</c>, <c>1.5e-07</c>). gRPC carries the
/// same answer as doubles, so writing them this way gives the lines REST gives.</summary>
internal static class PythonFloatText
{
    /// <summary>Enough for any double: a sign, 17 digits, a point, zeros up to the exponent's threshold, an exponent.</summary>
    public const int MaxLength = 40;

    /// <summary>Writes a finite <paramref name="value"/> as a raw JSON number.</summary>
    public static void Write(Utf8JsonWriter w, double value)
    {
        Span<byte> text = stackalloc byte[MaxLength];
        w.WriteRawValue(text[..Format(value, text)], skipInputValidation: true);
    }

    /// <summary>Writes the text of a finite <paramref name="value"/> into <paramref name="text"/> (at least
    /// <see cref="MaxLength"/> bytes) and returns its length.</summary>
    public static int Format(double value, Span<byte> text)
    {
        // .NET's round-trip format gives the shortest digits that read back as the value, as Python's repr does; only
        // their layout differs (1E+15, 1E-05 and 186 against 1000000000000000.0, 1e-05 and 186.0).
        Span<byte> shortest = stackalloc byte[MaxLength];
        if (!double.IsFinite(value) || !value.TryFormat(shortest, out var length, "R", CultureInfo.InvariantCulture))
        {
            throw new ArgumentOutOfRangeException(nameof(value), value, "only a finite number has a JSON text");
        }

        return Layout(shortest[..length], text);
    }

    /// <summary>Lays out .NET's round-trip text of a double (<c>-1.5E-07</c>, <c>0.0001</c>, <c>186</c>) as Python's repr.</summary>
    private static int Layout(ReadOnlySpan<byte> roundTrip, Span<byte> text)
    {
        var at = 0;
        if (roundTrip[0] == (byte)'-')
        {
            text[at++] = (byte)'-';
            roundTrip = roundTrip[1..];
        }

        var exponent = 0;
        var e = roundTrip.IndexOfAny((byte)'E', (byte)'e');
        if (e >= 0)
        {
            exponent = int.Parse(roundTrip[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            roundTrip = roundTrip[..e];
        }

        // The mantissa's digits without the point, then without leading zeros: the value is 0.<digits> × 10^point.
        Span<byte> digits = stackalloc byte[MaxLength];
        var count = 0;
        var point = -1;
        foreach (var c in roundTrip)
        {
            if (c == (byte)'.')
            {
                point = count;
            }
            else
            {
                digits[count++] = c;
            }
        }

        point = point < 0 ? count : point;
        var lead = digits[..count].IndexOfAnyExcept((byte)'0');
        lead = lead < 0 ? count : lead;
        digits[lead..count].CopyTo(digits);
        count -= lead;
        point -= lead;
        while (count > 0 && digits[count - 1] == (byte)'0')
        {
            count--;
        }

        if (count == 0)
        {
            "0.0"u8.CopyTo(text[at..]);
            return at + 3;
        }

        point += exponent;
        if (point > -4 && point <= 16)
        {
            if (point <= 0)
            {
                // 0.000123
                text[at++] = (byte)'0';
                text[at++] = (byte)'.';
                text.Slice(at, -point).Fill((byte)'0');
                at += -point;
                digits[..count].CopyTo(text[at..]);
                return at + count;
            }

            if (point >= count)
            {
                // 186.0, 1000000000000000.0
                digits[..count].CopyTo(text[at..]);
                at += count;
                text.Slice(at, point - count).Fill((byte)'0');
                at += point - count;
                text[at++] = (byte)'.';
                text[at++] = (byte)'0';
                return at;
            }

            // 3.25
            digits[..point].CopyTo(text[at..]);
            at += point;
            text[at++] = (byte)'.';
            digits[point..count].CopyTo(text[at..]);
            return at + count - point;
        }

        // 1e+16, 1.5e-07, 5e-324
        text[at++] = digits[0];
        if (count > 1)
        {
            text[at++] = (byte)'.';
            digits[1..count].CopyTo(text[at..]);
            at += count - 1;
        }

        var power = point - 1;
        text[at++] = (byte)'e';
        text[at++] = power < 0 ? (byte)'-' : (byte)'+';
        power = Math.Abs(power);
        if (power < 10)
        {
            text[at++] = (byte)'0';
        }

        power.TryFormat(text[at..], out var written, default, CultureInfo.InvariantCulture);
        return at + written;
    }
}
