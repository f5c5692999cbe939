using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// Reading and writing numbers the way the Seldon protocol carries them in JSON.
/// </summary>
internal static class SeldonJsonNumbers
{
    /// <summary>
    /// Writes a floating-point number as the real Seldon server (Python's <c>json</c>, which writes a float's <c>repr</c>)
    /// writes it: the shortest digits that read back as the value, <c>.0</c> after an integral value (<c>0.0</c>, not
    /// <c>0</c>), and an exponent with its sign and at least two digits when the exponent is below -4 or at least 16
    /// (<c>1e+16</c>, <c>1.5e-07</c>, but <c>1000000000000000.0</c> and <c>0.0001</c>). Values JSON numbers cannot hold are
    /// written as proto3 JSON writes them: "NaN", "Infinity", "-Infinity".
    /// </summary>
    public static void WriteFloating(Utf8JsonWriter writer, double value)
    {
        if (!double.IsFinite(value))
        {
            writer.WriteStringValue(NonFiniteText(value));
            return;
        }

        Span<byte> text = stackalloc byte[48];
        value.TryFormat(text, out int length, "R", CultureInfo.InvariantCulture);
        WriteAsPython(writer, text[..length]);
    }

    /// <inheritdoc cref="WriteFloating(Utf8JsonWriter, double)"/>
    public static void WriteFloating(Utf8JsonWriter writer, float value)
    {
        if (!float.IsFinite(value))
        {
            writer.WriteStringValue(NonFiniteText(value));
            return;
        }

        // Formatting the float itself, not its widened double, keeps 0.1f as "0.1" rather than 0.10000000149011612, as
        // protobuf's Python json_format gives a float field: the shortest digits of the float.
        Span<byte> text = stackalloc byte[48];
        value.TryFormat(text, out int length, "R", CultureInfo.InvariantCulture);
        WriteAsPython(writer, text[..length]);
    }

    /// <summary>
    /// Reads a proto3 JSON floating-point field: a JSON number, or a string holding one (proto3 JSON allows
    /// both, and uses strings for NaN and the infinities).
    /// </summary>
    public static bool TryReadDouble(JsonElement element, out double value)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                return element.TryGetDouble(out value);
            case JsonValueKind.String:
                return double.TryParse(element.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value);
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>Reads a proto3 JSON 64-bit integer field: a JSON number or, as proto3 JSON writes it, a string.</summary>
    public static bool TryReadInt64(JsonElement element, out long value)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                return element.TryGetInt64(out value);
            case JsonValueKind.String:
                return long.TryParse(element.GetString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
            default:
                value = 0;
                return false;
        }
    }

    /// <summary>Reads a proto3 JSON 32-bit integer field: a JSON number or a string holding one.</summary>
    public static bool TryReadInt32(JsonElement element, out int value)
    {
        if (TryReadInt64(element, out long wide) && wide is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)wide;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Names a JSON value's kind for error messages.</summary>
    public static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.Number => "a number",
        _ => "missing",
    };

    /// <summary>Writes .NET's round-trip text of a number (<c>-1.5E-07</c>, <c>0.0001</c>, <c>186</c>) laid out as Python's
    /// repr: the same digits (both are the shortest that read back as the value), Python's choice of form.</summary>
    private static void WriteAsPython(Utf8JsonWriter writer, ReadOnlySpan<byte> roundTrip)
    {
        var text = new StringBuilder(32);
        if (roundTrip[0] == (byte)'-')
        {
            text.Append('-');
            roundTrip = roundTrip[1..];
        }

        int exponent = 0;
        int e = roundTrip.IndexOfAny((byte)'E', (byte)'e');
        if (e >= 0)
        {
            exponent = int.Parse(roundTrip[(e + 1)..], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            roundTrip = roundTrip[..e];
        }

        // The value is 0.<digits> × 10^point.
        string mantissa = Encoding.ASCII.GetString(roundTrip);
        int dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        string all = mantissa.Replace(".", "", StringComparison.Ordinal);
        int point = (dot < 0 ? all.Length : dot) + exponent;
        string digits = all.TrimStart('0');
        point -= all.Length - digits.Length;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0)
        {
            text.Append("0.0");
        }
        else if (point > -4 && point <= 16)
        {
            if (point <= 0)
            {
                text.Append("0.").Append('0', -point).Append(digits);
            }
            else if (point >= digits.Length)
            {
                text.Append(digits).Append('0', point - digits.Length).Append(".0");
            }
            else
            {
                text.Append(digits, 0, point).Append('.').Append(digits, point, digits.Length - point);
            }
        }
        else
        {
            text.Append(digits[0]);
            if (digits.Length > 1)
            {
                text.Append('.').Append(digits, 1, digits.Length - 1);
            }

            int power = point - 1;
            text.Append('e').Append(power < 0 ? '-' : '+').Append(Math.Abs(power).ToString("00", CultureInfo.InvariantCulture));
        }

        writer.WriteRawValue(text.ToString(), skipInputValidation: true);
    }

    private static string NonFiniteText(double value) =>
        double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}
