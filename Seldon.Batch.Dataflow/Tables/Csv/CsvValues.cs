using System.Globalization;
using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>How CSV text becomes values, the same when a column's type is guessed and when its values are read: an
/// integer is what <see cref="long"/> parses (invariant, optional sign, surrounding spaces); a number what
/// <see cref="double"/> parses (invariant, decimal point and exponent, no thousands separators) or nan, inf, infinity
/// with an optional sign, in any case (as DuckDB, pandas and .NET write them); a boolean true or false in any case.</summary>
internal static class CsvValues
{
    private const NumberStyles IntegerStyle = NumberStyles.Integer;
    private const NumberStyles NumberStyle = NumberStyles.Float;

    /// <summary>The boxed booleans, shared by every row.</summary>
    public static readonly object True = true;

    /// <summary>See <see cref="True"/>.</summary>
    public static readonly object False = false;

    public static bool TryInteger(ReadOnlySpan<byte> utf8, out long value) =>
        long.TryParse(utf8, IntegerStyle, CultureInfo.InvariantCulture, out value);

    public static bool TryNumber(ReadOnlySpan<byte> utf8, out double value)
    {
        if (double.TryParse(utf8, NumberStyle, CultureInfo.InvariantCulture, out value))
        {
            return true;
        }

        // .NET reads NaN and Infinity in any case, but not DuckDB's and numpy's "inf".
        var text = utf8.Trim(" \t"u8);
        var negative = text.Length > 0 && text[0] == (byte)'-';
        if (text.Length > 0 && text[0] is (byte)'-' or (byte)'+')
        {
            text = text[1..];
        }

        if (Ascii.EqualsIgnoreCase(text, "inf"u8))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }

        return false;
    }

    public static bool TryBoolean(ReadOnlySpan<byte> utf8, out bool value)
    {
        var text = utf8.Trim(" \t"u8);
        value = Ascii.EqualsIgnoreCase(text, "true"u8);
        return value || Ascii.EqualsIgnoreCase(text, "false"u8);
    }

    /// <summary>What the values of one column seen so far allow it to be.</summary>
    public struct Guess
    {
        private bool _seen;
        private bool _notInteger;
        private bool _notNumber;
        private bool _notBoolean;

        /// <summary>Takes one non-null value into account.</summary>
        public void See(ReadOnlySpan<byte> utf8)
        {
            _seen = true;
            _notInteger = _notInteger || !TryInteger(utf8, out _);
            _notNumber = _notNumber || !TryNumber(utf8, out _);
            _notBoolean = _notBoolean || !TryBoolean(utf8, out _);
        }

        /// <summary>The type every value seen fits, the narrowest first: <see cref="long"/>, <see cref="double"/>,
        /// <see cref="bool"/>, else <see cref="string"/> (also for a column with no value, or none but nulls).</summary>
        public readonly Type Type =>
            !_seen ? typeof(string)
            : !_notInteger ? typeof(long)
            : !_notNumber ? typeof(double)
            : !_notBoolean ? typeof(bool)
            : typeof(string);
    }
}
