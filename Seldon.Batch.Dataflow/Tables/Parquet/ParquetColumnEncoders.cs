using System.Collections;
using System.Globalization;
using System.Text;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>The Parquet type a table column is written as. A column read from Parquet (its <see cref="TableColumn.Native"/>
/// a Parquet.Net field) keeps its exact type: a copy of its field (but for JSON, written as STRING, and a half-precision
/// float, written as FLOAT: Parquet.Net does not write those). Any other gets one from its
/// <see cref="TableColumn.ValueType"/>, nullable: double → DOUBLE, long → INT64, bool → BOOLEAN, string → STRING, a
/// timestamp → TIMESTAMP(MICROS) as written, a date → DATE, a time → TIME(MICROS), decimal → DECIMAL(38,18), and a
/// list → a list of DOUBLE, BOOLEAN or STRING: its <see cref="TableColumn.ElementType"/> when it names one (a prediction
/// column's, learned from every answer), else by the first element found in the rows of the first row group (DOUBLE
/// when there is none).</summary>
internal static class ParquetColumnEncoders
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Why <paramref name="column"/> cannot be written to Parquet, or null when it can.</summary>
    public static string? Unwritable(TableColumn column) =>
        column.ValueType != typeof(object) ? null
        : column.Native switch
        {
            StructField => "a struct",
            MapField => "a map",
            ListField => "a list of lists, structs or maps",
            _ => "of a type a Parquet output cannot hold",
        };

    /// <summary>The encoder of <paramref name="column"/>, whose values in the first row group are <paramref name="firstRows"/>.</summary>
    public static ColumnEncoder For(TableColumn column, ReadOnlySpan<object?> firstRows) => Known(column) ?? ByValueType(column, firstRows);

    /// <summary>The encoder of <paramref name="column"/> when its Parquet type does not depend on its values; null for a
    /// list column with neither a Parquet type of its own nor a <see cref="TableColumn.ElementType"/>, whose element type
    /// the first row group's rows tell.</summary>
    public static ColumnEncoder? Known(TableColumn column)
    {
        switch (column.Native)
        {
            case DataField native when native.Name == column.Name && native.MaxRepetitionLevel == 0 && KeepsExactly(native):
                {
                    var field = (DataField)native.Clone();
                    return Encoder(field, list: null);
                }

            case ListField { Item: DataField { IsArray: false } item } native when native.Name == column.Name && KeepsExactly(item):
                {
                    var element = (DataField)item.Clone();
                    var list = new ListField(native.Name, element, item.Path.Length == 3 ? item.Path[1] : ListField.DefaultContainerName);
                    return Encoder(element, list);
                }

            default:
                return column.ValueType == typeof(object[]) && column.ElementType is null ? null : ByValueType(column, []);
        }
    }

    /// <summary>Whether Parquet.Net writes the field as it read it. It reads half-precision floats and intervals but
    /// does not write them, and writes a JSON column as bare bytes: those are written by their value type instead (a
    /// float, a string).</summary>
    private static bool KeepsExactly(DataField field) =>
        field.ClrType != typeof(Half) && field.ClrType != typeof(Parquet.File.Values.Primitives.Interval)
        && field.SchemaElement?.LogicalType?.JSON is null && field.SchemaElement?.ConvertedType != Parquet.Meta.ConvertedType.JSON;

    private static ColumnEncoder ByValueType(TableColumn column, ReadOnlySpan<object?> firstRows)
    {
        var type = column.ValueType;
        if (type == typeof(object[]))
        {
            // A prediction column knows its element type even when its first row group holds only empty or null lists.
            var element = new DataField(ListField.ElementName, column.ElementType ?? ElementType(firstRows), isNullable: true);
            var list = new ListField(column.Name, element);
            return Encoder(element, list);
        }

        DataField field = type == typeof(decimal) ? new DecimalDataField(column.Name, 38, 18, isNullable: true)
            : type == typeof(DateTime) ? new DateTimeDataField(column.Name, DateTimeFormat.Timestamp, isAdjustedToUTC: false, DateTimeTimeUnit.Micros, isNullable: true)
            : type == typeof(TimeSpan) ? new TimeDataField(column.Name, TimeUnitPrecision.Micros, isNullable: true) { IsAdjustedToUtc = false }
            : type == typeof(object) ? throw new InvalidOperationException($"the column '{column.Name}' is {Unwritable(column)}")
            : new DataField(column.Name, type, isNullable: true);
        return Encoder(field, list: null);
    }

    /// <summary>The element type of a list column with no Parquet type of its own: text, booleans, or numbers.</summary>
    private static System.Type ElementType(ReadOnlySpan<object?> rows)
    {
        foreach (var row in rows)
        {
            if (row is IList items)
            {
                foreach (var item in items)
                {
                    switch (item)
                    {
                        case null:
                            continue;
                        case bool:
                            return typeof(bool);
                        case string:
                            return typeof(string);
                        default:
                            return typeof(double);
                    }
                }
            }
        }

        return typeof(double);
    }

    /// <summary>The encoder for <paramref name="leaf"/> (the column's field, or its list's element), by the CLR type
    /// Parquet.Net writes it as; a value is converted from what the table holds (a <see cref="TimeSpan"/> to a time's
    /// integer, text to a UUID or to a JSON column's bytes, any number to any numeric column).</summary>
    private static ColumnEncoder Encoder(DataField leaf, ListField? list)
    {
        var t = leaf.ClrType;
        if (leaf is TimeDataField time)
        {
            return t == typeof(int)
                ? Make(leaf, list, v => v is TimeSpan span ? checked((int)(span.Ticks / TimeSpan.TicksPerMillisecond)) : Convert.ToInt32(v, Invariant))
                : Make(leaf, list, v => v is TimeSpan span ? TimeOf(span, time.Precision) : Convert.ToInt64(v, Invariant));
        }

        // The value is nearly always of the field's type already: unboxed at once, converted (through IConvertible, which
        // costs a cast per value) only when not.
        return t == typeof(bool) ? Make(leaf, list, v => v is bool b ? b : Convert.ToBoolean(v, Invariant))
            : t == typeof(double) ? Make(leaf, list, v => v is double d ? d : Convert.ToDouble(v, Invariant))
            : t == typeof(float) ? Make(leaf, list, v => Convert.ToSingle(v, Invariant))
            : t == typeof(long) ? Make(leaf, list, v => v is long l ? l : Convert.ToInt64(v, Invariant))
            : t == typeof(int) ? Make(leaf, list, v => v is int i ? i : Convert.ToInt32(v, Invariant))
            : t == typeof(short) ? Make(leaf, list, v => Convert.ToInt16(v, Invariant))
            : t == typeof(sbyte) ? Make(leaf, list, v => Convert.ToSByte(v, Invariant))
            : t == typeof(ulong) ? Make(leaf, list, v => Convert.ToUInt64(v, Invariant))
            : t == typeof(uint) ? Make(leaf, list, v => Convert.ToUInt32(v, Invariant))
            : t == typeof(ushort) ? Make(leaf, list, v => Convert.ToUInt16(v, Invariant))
            : t == typeof(byte) ? Make(leaf, list, v => Convert.ToByte(v, Invariant))
            : t == typeof(decimal) ? Make(leaf, list, v => Convert.ToDecimal(v, Invariant))
            : t == typeof(DateTime) ? Make(leaf, list, Timestamp(leaf))
            : t == typeof(DateOnly) ? Make(leaf, list, v => v is DateTime d ? DateOnly.FromDateTime(d) : (DateOnly)v)
            : t == typeof(Guid) ? Make(leaf, list, v => v is string s ? Guid.Parse(s, Invariant) : (Guid)v)
            : t == typeof(ReadOnlyMemory<char>) || t == typeof(string) ? Make(leaf, list, v => (v as string ?? Convert.ToString(v, Invariant) ?? "").AsMemory())
            : t == typeof(ReadOnlyMemory<byte>) || t == typeof(byte[]) ? Make(leaf, list, v => new ReadOnlyMemory<byte>(v as byte[] ?? Encoding.UTF8.GetBytes((string)v)))
            : throw new InvalidOperationException($"the column '{list?.Name ?? leaf.Name}' is of the type {t}, which this writer does not write");
    }

    /// <summary>A timestamp as Parquet.Net writes it: its INT96 form takes the time as local unless it is marked UTC, so
    /// a time as written is marked so.</summary>
    private static Func<object, DateTime> Timestamp(DataField leaf) =>
        leaf is DateTimeDataField { DateTimeFormat: DateTimeFormat.Impala } or not DateTimeDataField
            ? v => (DateTime)v is var d && d.Kind == DateTimeKind.Unspecified ? DateTime.SpecifyKind(d, DateTimeKind.Utc) : d
            : v => (DateTime)v;

    private static long TimeOf(TimeSpan span, TimeUnitPrecision precision) => precision switch
    {
        TimeUnitPrecision.Millis => span.Ticks / TimeSpan.TicksPerMillisecond,
        TimeUnitPrecision.Micros => span.Ticks / TimeSpan.TicksPerMicrosecond,
        _ => checked(span.Ticks * TimeSpan.NanosecondsPerTick),
    };

    private static ColumnEncoder Make<T>(DataField leaf, ListField? list, Func<object, T> convert)
        where T : struct =>
        list is null ? new ScalarEncoder<T>(leaf, convert) : new ListEncoder<T>(list, leaf, convert);
}
