using System.Globalization;
using System.Text.Json;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// Reading and writing numbers the way the Seldon protocol carries them in JSON.
/// </summary>
internal static class SeldonJsonNumbers
{
    /// <summary>
    /// Writes a floating-point number so that it reads back as one: an integral value gets a <c>.0</c>
    /// (<c>0.0</c>, not <c>0</c>), as Python's JSON encoder writes the floats of the real Seldon server.
    /// Values JSON numbers cannot hold are written as proto3 JSON writes them: "NaN", "Infinity", "-Infinity".
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
        WriteWithFraction(writer, text, length);
    }

    /// <inheritdoc cref="WriteFloating(Utf8JsonWriter, double)"/>
    public static void WriteFloating(Utf8JsonWriter writer, float value)
    {
        if (!float.IsFinite(value))
        {
            writer.WriteStringValue(NonFiniteText(value));
            return;
        }

        // Formatting the float itself, not its widened double, keeps 0.1f as "0.1" rather than 0.10000000149011612.
        Span<byte> text = stackalloc byte[48];
        value.TryFormat(text, out int length, "R", CultureInfo.InvariantCulture);
        WriteWithFraction(writer, text, length);
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

    private static void WriteWithFraction(Utf8JsonWriter writer, Span<byte> text, int length)
    {
        if (text[..length].IndexOfAny(".Ee"u8) < 0)
        {
            text[length++] = (byte)'.';
            text[length++] = (byte)'0';
        }

        writer.WriteRawValue(text[..length], skipInputValidation: true);
    }

    private static string NonFiniteText(double value) =>
        double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
}
