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

        Span<byte> digits = stackalloc byte[MaxLength];
        var count = Digits(roundTrip, digits, out var point);
        if (count == 0)
        {
            "0.0"u8.CopyTo(text[at..]);
            return at + 3;
        }

        return at + (point > -4 && point <= 16
            ? Positional(digits[..count], point, text[at..])
            : Scientific(digits[..count], point, text[at..]));
    }

    /// <summary>The significant digits of an unsigned round-trip text into <paramref name="digits"/> (no leading or
    /// trailing zeros), and where the point stands: the value is 0.<c>digits</c> × 10^<paramref name="point"/>. Returns
    /// how many digits there are, 0 for zero.</summary>
    private static int Digits(ReadOnlySpan<byte> roundTrip, Span<byte> digits, out int point)
    {
        var exponent = 0;
        var e = roundTrip.IndexOfAny((byte)'E', (byte)'e');
        if (e >= 0)
        {
            exponent = int.Parse(roundTrip[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            roundTrip = roundTrip[..e];
        }

        // The mantissa's digits without the point, then without leading zeros.
        var count = 0;
        point = -1;
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
        point += exponent - lead;
        while (count > 0 && digits[count - 1] == (byte)'0')
        {
            count--;
        }

        return count;
    }

    /// <summary>Writes 0.<paramref name="digits"/> × 10^<paramref name="point"/> without an exponent (the point between
    /// -4 and 16): <c>0.000123</c>, <c>186.0</c>, <c>3.25</c>; returns the length written.</summary>
    private static int Positional(ReadOnlySpan<byte> digits, int point, Span<byte> text)
    {
        var count = digits.Length;
        var at = 0;
        if (point <= 0)
        {
            // 0.000123
            text[at++] = (byte)'0';
            text[at++] = (byte)'.';
            text.Slice(at, -point).Fill((byte)'0');
            at += -point;
            digits.CopyTo(text[at..]);
            return at + count;
        }

        if (point >= count)
        {
            // 186.0, 1000000000000000.0
            digits.CopyTo(text[at..]);
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
        digits[point..].CopyTo(text[at..]);
        return at + count - point;
    }

    /// <summary>Writes 0.<paramref name="digits"/> × 10^<paramref name="point"/> with an exponent of at least two digits:
    /// <c>1e+16</c>, <c>1.5e-07</c>, <c>5e-324</c>; returns the length written.</summary>
    private static int Scientific(ReadOnlySpan<byte> digits, int point, Span<byte> text)
    {
        var at = 0;
        text[at++] = digits[0];
        if (digits.Length > 1)
        {
            text[at++] = (byte)'.';
            digits[1..].CopyTo(text[at..]);
            at += digits.Length - 1;
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
