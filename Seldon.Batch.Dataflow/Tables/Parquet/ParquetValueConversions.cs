using System.Globalization;
using System.Numerics;

namespace Seldon.Batch.Dataflow;

/// <summary>Parquet's logical types from the integers that store them (the spec's LogicalTypes.md): days since 1970 for
/// a date, a count of a unit since 1970 for a timestamp, since midnight for a time, an unscaled integer for a decimal.
/// Done here rather than by Parquet.Net because its own conversions cannot read DELTA_BINARY_PACKED pages (Parquet v2,
/// as DuckDB and Spark write them) of dates, timestamps, decimals and 8-bit integers.</summary>
internal static class ParquetValueConversions
{
    private const long TicksPerMillisecond = TimeSpan.TicksPerMillisecond;
    private const long TicksPerMicrosecond = TimeSpan.TicksPerMicrosecond;
    private const long NanosecondsPerTick = TimeSpan.NanosecondsPerTick;
    private static readonly int UnixEpochDay = DateOnly.FromDateTime(DateTime.UnixEpoch).DayNumber;

    /// <summary>The unit of a stored time or timestamp.</summary>
    public enum Unit
    {
        Millis,
        Micros,
        Nanos,
    }

    public static object Date(int days)
    {
        var day = (long)UnixEpochDay + days;
        return day is >= 0 and <= 3_652_058 // DateOnly.MaxValue.DayNumber
            ? DateOnly.FromDayNumber((int)day)
            : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"the date {days} days from 1970-01-01 is outside the years 1 to 9999"));
    }

    /// <summary>A timestamp: <see cref="DateTimeKind.Utc"/> when the file says it is adjusted to UTC (an instant), else
    /// <see cref="DateTimeKind.Unspecified"/> (a wall-clock time, as written).</summary>
    public static Func<long, object> Timestamp(Unit unit, bool utc)
    {
        var kind = utc ? DateTimeKind.Utc : DateTimeKind.Unspecified;
        return value =>
        {
            var ticks = Ticks(value, unit);
            return ticks is { } t && t >= -DateTime.UnixEpoch.Ticks && t <= DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks
                ? new DateTime(DateTime.UnixEpoch.Ticks + t, kind)
                : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"the timestamp {value} ({unit} from 1970) is outside the years 1 to 9999"));
        };
    }

    public static TimeSpan Time(long value, Unit unit) =>
        Ticks(value, unit) is { } ticks ? TimeSpan.FromTicks(ticks) : throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"the time {value} ({unit}) is out of range"));

    /// <summary>Ticks (100 ns) of <paramref name="value"/> units, rounded down for nanoseconds; null on overflow.</summary>
    private static long? Ticks(long value, Unit unit)
    {
        try
        {
            return unit switch
            {
                Unit.Millis => checked(value * TicksPerMillisecond),
                Unit.Micros => checked(value * TicksPerMicrosecond),
                _ => value >= 0 ? value / NanosecondsPerTick : (-(value + 1) / NanosecondsPerTick * -1) - 1,
            };
        }
        catch (OverflowException)
        {
            return null;
        }
    }

    /// <summary>A decimal from its unscaled integer in big-endian two's complement (a FIXED_LEN_BYTE_ARRAY or
    /// BYTE_ARRAY decimal), exactly when <see cref="decimal"/> holds it (96 bits of digits, a scale up to 28); a value
    /// with more digits keeps its 28 or 29 most significant ones, rounded half away from zero.</summary>
    public static object Decimal(ReadOnlySpan<byte> bigEndian, int scale)
    {
        var unscaled = new BigInteger(bigEndian, isUnsigned: false, isBigEndian: true);
        while (BigInteger.Abs(unscaled) >> 96 != BigInteger.Zero || scale > 28)
        {
            if (scale == 0)
            {
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"the decimal {unscaled} is too large for .NET's decimal"));
            }

            unscaled = (unscaled + (unscaled.Sign * 5)) / 10;
            scale--;
        }

        var magnitude = BigInteger.Abs(unscaled);
        return new decimal(
            (int)(uint)(magnitude & uint.MaxValue),
            (int)(uint)((magnitude >> 32) & uint.MaxValue),
            (int)(uint)(magnitude >> 64),
            unscaled.Sign < 0,
            (byte)scale);
    }

    /// <summary>A decimal of <paramref name="scale"/> digits after the point from its unscaled integer, exactly (the
    /// scale kept, so 0.0000 stays 0.0000).</summary>
    public static object Decimal(long unscaled, int scale)
    {
        var negative = unscaled < 0;
        var magnitude = negative ? (ulong)(-(unscaled + 1)) + 1 : (ulong)unscaled;
        return new decimal((int)(uint)magnitude, (int)(uint)(magnitude >> 32), 0, negative, checked((byte)scale));
    }
}
