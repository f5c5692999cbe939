using Parquet.Meta;
using Parquet.Schema;
using static Seldon.Batch.Dataflow.ParquetValueConversions;
using PhysicalType = Parquet.Meta.Type;

namespace Seldon.Batch.Dataflow;

/// <summary>What a Parquet leaf column becomes in a table row, decided from its physical and logical types (the
/// schema element) rather than from the CLR type Parquet.Net picks: integers are read as their physical <c>int</c> or
/// <c>long</c> (so every encoding decodes) and turned into the logical type here; text into <see cref="string"/>; a
/// UUID into its text; binary into <c>byte[]</c>; an INTERVAL is not read.</summary>
internal static class ParquetColumnTypes
{
    /// <summary>The decoder of <paramref name="leaf"/>, which is <paramref name="top"/> itself or the element of the list
    /// <paramref name="top"/>; null, with the reason, when the type is not read.</summary>
    public static LeafDecoder? DecoderFor(DataField leaf, Field top, int? listDefinedLevel, out string? unsupported)
    {
        unsupported = null;
        var element = leaf.SchemaElement;
        var logical = element?.LogicalType;
        var converted = element?.ConvertedType;
        switch (element?.Type)
        {
            case PhysicalType.BOOLEAN:
                return Typed<bool>(leaf, listDefinedLevel, typeof(bool), v => v);
            case PhysicalType.FLOAT:
                return Typed<float>(leaf, listDefinedLevel, typeof(float), v => v);
            case PhysicalType.DOUBLE:
                return Typed<double>(leaf, listDefinedLevel, typeof(double), v => v);
            case PhysicalType.INT32:
                return Int32(leaf, top, listDefinedLevel, Int32Value(logical, converted, element!), ref unsupported);
            case PhysicalType.INT64:
                return Physical(leaf, top, listDefinedLevel, Int64Value(logical, converted, element!), ref unsupported);
            case PhysicalType.INT96:
                // Impala's and old Spark's timestamps: nanoseconds of a day and a Julian day, with no zone (as DuckDB reads them).
                return leaf.ClrType == typeof(DateTime)
                    ? Typed<DateTime>(leaf, listDefinedLevel, typeof(DateTime), v => DateTime.SpecifyKind(v, DateTimeKind.Unspecified))
                    : Unsupported("an INT96 that is not a timestamp", out unsupported);
            case PhysicalType.BYTE_ARRAY or PhysicalType.FIXED_LEN_BYTE_ARRAY:
                return Bytes(leaf, top, listDefinedLevel, element!, out unsupported);
            default:
                return Unsupported($"of the physical type {element?.Type}", out unsupported);
        }
    }

    /// <summary>What an INT32 holds: a date, a decimal, a time of day in milliseconds, or an integer of 8 to 32 bits.</summary>
    private static (System.Type Type, Func<int, object> Convert) Int32Value(LogicalType? logical, ConvertedType? converted, SchemaElement element)
    {
        if (logical?.DATE is not null || converted == ConvertedType.DATE)
        {
            return (typeof(DateOnly), v => Date(v));
        }

        if (logical?.DECIMAL is not null || converted == ConvertedType.DECIMAL)
        {
            var scale = logical?.DECIMAL?.Scale ?? element.Scale ?? 0;
            return (typeof(decimal), v => ParquetValueConversions.Decimal(v, scale));
        }

        if (logical?.TIME is not null || converted == ConvertedType.TIME_MILLIS)
        {
            return (typeof(TimeSpan), v => Time(v, Unit.Millis));
        }

        var (bits, signed) = logical?.INTEGER is { } integer ? (integer.BitWidth, integer.IsSigned) : converted switch
        {
            ConvertedType.INT_8 => ((sbyte)8, true),
            ConvertedType.UINT_8 => ((sbyte)8, false),
            ConvertedType.INT_16 => ((sbyte)16, true),
            ConvertedType.UINT_16 => ((sbyte)16, false),
            ConvertedType.UINT_32 => ((sbyte)32, false),
            _ => ((sbyte)32, true),
        };
        return (bits, signed) switch
        {
            (8, true) => (typeof(sbyte), v => unchecked((sbyte)v)),
            (8, false) => (typeof(byte), v => unchecked((byte)v)),
            (16, true) => (typeof(short), v => unchecked((short)v)),
            (16, false) => (typeof(ushort), v => unchecked((ushort)v)),
            (_, false) => (typeof(uint), v => unchecked((uint)v)),
            _ => (typeof(int), v => v),
        };
    }

    /// <summary>What an INT64 holds: a timestamp, a decimal, a time of day, or a signed or unsigned 64-bit integer.</summary>
    private static (System.Type Type, Func<long, object> Convert) Int64Value(LogicalType? logical, ConvertedType? converted, SchemaElement element)
    {
        if (logical?.TIMESTAMP is { } timestamp)
        {
            return (typeof(DateTime), Timestamp(UnitOf(timestamp.Unit), timestamp.IsAdjustedToUTC));
        }

        // The legacy annotations mean instants (adjusted to UTC), as the spec says.
        if (converted is ConvertedType.TIMESTAMP_MILLIS or ConvertedType.TIMESTAMP_MICROS)
        {
            return (typeof(DateTime), Timestamp(converted == ConvertedType.TIMESTAMP_MILLIS ? Unit.Millis : Unit.Micros, utc: true));
        }

        if (logical?.DECIMAL is not null || converted == ConvertedType.DECIMAL)
        {
            var scale = logical?.DECIMAL?.Scale ?? element.Scale ?? 0;
            return (typeof(decimal), v => ParquetValueConversions.Decimal(v, scale));
        }

        if (logical?.TIME is not null || converted == ConvertedType.TIME_MICROS)
        {
            var unit = logical?.TIME is { } time ? UnitOf(time.Unit) : Unit.Micros;
            return (typeof(TimeSpan), v => Time(v, unit));
        }

        var unsigned = logical?.INTEGER is { IsSigned: false } || converted == ConvertedType.UINT_64;
        return unsigned ? (typeof(ulong), v => unchecked((ulong)v)) : (typeof(long), v => v);
    }

    private static Unit UnitOf(TimeUnit unit) => unit.MILLIS is not null ? Unit.Millis : unit.MICROS is not null ? Unit.Micros : Unit.Nanos;

    /// <summary>An INT32 column, read as <c>long</c> where its pages are delta-encoded (<see cref="DeltaInt32Decoder"/>).</summary>
    private static LeafDecoder? Int32(DataField leaf, Field top, int? listDefinedLevel, (System.Type Type, Func<int, object> Convert) value, ref string? unsupported)
    {
        var asInt = Physical(leaf, top, listDefinedLevel, value, ref unsupported);
        var convert = value.Convert;
        var asLong = Physical<long>(leaf, top, listDefinedLevel, (value.Type, v => convert(unchecked((int)v))), ref unsupported);
        return asInt is null || asLong is null ? null : new DeltaInt32Decoder(asInt, asLong, leaf);
    }

    /// <summary>A byte array: text (STRING, ENUM, JSON), a decimal, a UUID, a half-precision float, or binary.</summary>
    private static LeafDecoder? Bytes(DataField leaf, Field top, int? listDefinedLevel, SchemaElement element, out string? unsupported)
    {
        unsupported = null;
        var logical = element.LogicalType;
        var converted = element.ConvertedType;
        // Parquet.Net types text and binary as ReadOnlyMemory (its "untyped" strings and byte arrays), or as string and byte[].
        if (leaf.ClrType == typeof(ReadOnlyMemory<char>) || leaf.ClrType == typeof(string))
        {
            return Typed<ReadOnlyMemory<char>>(leaf, listDefinedLevel, typeof(string), v => v.ToString());
        }

        if (logical?.DECIMAL is not null || converted == ConvertedType.DECIMAL)
        {
            // Decoded here: Parquet.Net drops the scale of some values (-1.0000000000 becomes -1).
            var scale = logical?.DECIMAL?.Scale ?? element.Scale ?? 0;
            return Physical<ReadOnlyMemory<byte>>(leaf, top, listDefinedLevel, (typeof(decimal), v => ParquetValueConversions.Decimal(v.Span, scale)), ref unsupported);
        }

        if (leaf.ClrType == typeof(Guid))
        {
            return Typed<Guid>(leaf, listDefinedLevel, typeof(string), v => v.ToString("D"));
        }

        if (leaf.ClrType == typeof(Half))
        {
            return Typed<Half>(leaf, listDefinedLevel, typeof(float), v => (float)v);
        }

        if (leaf.ClrType != typeof(ReadOnlyMemory<byte>) && leaf.ClrType != typeof(byte[]))
        {
            return Unsupported(converted is { } type ? $"an {type}" : $"a {leaf.ClrType.Name}", out unsupported);
        }

        return logical?.JSON is not null || converted == ConvertedType.JSON
            ? Typed<ReadOnlyMemory<byte>>(leaf, listDefinedLevel, typeof(string), v => System.Text.Encoding.UTF8.GetString(v.Span))
            : Typed<ReadOnlyMemory<byte>>(leaf, listDefinedLevel, typeof(byte[]), v => v.ToArray());
    }

    private static RawLeafDecoder<T> Typed<T>(DataField leaf, int? listDefinedLevel, System.Type valueType, Func<T, object> convert)
        where T : struct => new(leaf, listDefinedLevel, valueType, convert);

    /// <summary>An integer column read as its physical type <typeparamref name="T"/>, through a twin of its field when
    /// Parquet.Net types it otherwise.</summary>
    private static RawLeafDecoder<T>? Physical<T>(DataField leaf, Field top, int? listDefinedLevel, (System.Type Type, Func<T, object> Convert) value, ref string? unsupported)
        where T : struct
    {
        var field = PhysicalTwin(leaf, top, typeof(T));
        if (field is null)
        {
            unsupported = $"a list of {value.Type.Name} in a layout this reader does not know";
            return null;
        }

        return new RawLeafDecoder<T>(field, listDefinedLevel, value.Type, value.Convert);
    }

    /// <summary>A field typed <paramref name="physical"/> with the path and levels of <paramref name="leaf"/>, so
    /// Parquet.Net reads the stored integers as they are; <paramref name="leaf"/> itself when it is typed so already;
    /// null when the twin's levels would differ (a layout of lists other than the usual three levels).</summary>
    private static DataField? PhysicalTwin(DataField leaf, Field top, System.Type physical)
    {
        if (leaf.ClrType == physical)
        {
            return leaf;
        }

        // Parquet.Net declares binary as byte[] and stores it as ReadOnlyMemory<byte>.
        var declared = physical == typeof(ReadOnlyMemory<byte>) ? typeof(byte[]) : physical;
        var twin = new DataField(leaf.Name, declared, isNullable: leaf.IsNullable, isArray: leaf.IsArray);
        Field? root = ReferenceEquals(top, leaf) ? twin
            : top is ListField list && ReferenceEquals(list.Item, leaf) && leaf.Path.Length == 3 ? new ListField(list.Name, twin, leaf.Path[1])
            : null;
        if (root is null)
        {
            return null;
        }

        // A schema gives the twin its path and levels.
        _ = new ParquetSchema(root);
        return twin.Path.Equals(leaf.Path) && twin.MaxDefinitionLevel == leaf.MaxDefinitionLevel && twin.MaxRepetitionLevel == leaf.MaxRepetitionLevel
            ? twin
            : null;
    }

    private static LeafDecoder? Unsupported(string what, out string unsupported)
    {
        unsupported = what;
        return null;
    }
}
