using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow.Tests.Fixtures;
using static Seldon.Batch.Dataflow.Tests.Tables.ParquetFiles;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Property: what the Parquet writer (<see cref="ParquetTableWriter"/>) writes reads back as what went in, over
/// random tables: any of the value types a table holds, the columns of DuckDB's Parquet files with their exact types,
/// odd values (extremes, NaN, empty text and bytes), nulls anywhere a column allows them, lists empty, null or holding
/// nulls, list columns whose element type the first rows tell, row groups of 1 to 20 rows, and no rows at all. Read back
/// twice, by two readers: the library's (<see cref="ParquetTableReader"/>, on Parquet.Net's decoding) gives the same
/// values, of the same types, under the same columns; and DuckDB, an implementation independent of both, sees the
/// column types the writer chose and the same values (it copies the file into a Parquet file of its own, which the
/// library's reader reads back, value for value). It replaced a copy of the writer before the typed one (main 691d9e6's),
/// held here only to compare the bytes.</summary>
[Trait("Category", "Integration")]
public sealed class ParquetWriterReadBackProperties : IDisposable
{
    /// <summary>Columns by value type (no Parquet type of their own), how a value is made, and the type DuckDB reads.</summary>
    private static readonly (TableColumn Column, Func<Random, object?> Value, string DuckType)[] ByValueType =
    [
        (new("double", typeof(double)), r => Odd(r, r.NextDouble() * r.Next(-1000, 1000), double.NaN, double.MaxValue, -0.0, double.Epsilon), "DOUBLE"),
        (new("float", typeof(float)), r => Odd(r, (float)(r.NextDouble() * 100), float.MinValue, float.NegativeInfinity), "FLOAT"),
        (new("long", typeof(long)), r => Odd(r, r.NextInt64(long.MinValue, long.MaxValue), long.MinValue, long.MaxValue, 0L), "BIGINT"),
        (new("int", typeof(int)), r => Odd(r, r.Next(int.MinValue, int.MaxValue), int.MinValue, int.MaxValue), "INTEGER"),
        (new("short", typeof(short)), r => Odd(r, (short)r.Next(short.MinValue, short.MaxValue), short.MinValue, short.MaxValue), "SMALLINT"),
        (new("sbyte", typeof(sbyte)), r => Odd(r, (sbyte)r.Next(sbyte.MinValue, sbyte.MaxValue), sbyte.MinValue, sbyte.MaxValue), "TINYINT"),
        (new("ulong", typeof(ulong)), r => Odd(r, (ulong)r.NextInt64(0, long.MaxValue) * 2, ulong.MaxValue, 0UL), "UBIGINT"),
        (new("uint", typeof(uint)), r => Odd(r, (uint)r.NextInt64(0, uint.MaxValue), uint.MaxValue), "UINTEGER"),
        (new("ushort", typeof(ushort)), r => Odd(r, (ushort)r.Next(0, ushort.MaxValue), ushort.MaxValue), "USMALLINT"),
        (new("byte", typeof(byte)), r => Odd(r, (byte)r.Next(0, 255), byte.MaxValue), "UTINYINT"),
        (new("bool", typeof(bool)), r => r.Next(2) == 0, "BOOLEAN"),
        (new("string", typeof(string)), r => Odd(r, new string('é', r.Next(0, 4)) + r.Next(), "", "a,\"b\"\nc", "\u2603\0"), "VARCHAR"),
        (new("decimal", typeof(decimal)), r => Odd(r, new decimal(r.NextDouble() * 1e6), 0m, -0.000000000000000001m, 99999999999999999999.999999999999999999m), "DECIMAL(38,18)"),
        (new("timestamp", typeof(DateTime)), r => new DateTime(2024, 1, 2, 3, 4, 5, (DateTimeKind)r.Next(0, 2)).AddTicks(r.NextInt64(0, TimeSpan.TicksPerDay * 400) / 10 * 10), "TIMESTAMP"),
        (new("date", typeof(DateOnly)), r => Odd(r, new DateOnly(1970, 1, 1).AddDays(r.Next(-1000, 30000)), DateOnly.MinValue, DateOnly.MaxValue), "DATE"),
        (new("time", typeof(TimeSpan)), r => Odd(r, TimeSpan.FromTicks(r.NextInt64(0, TimeSpan.TicksPerDay) / 10 * 10), TimeSpan.Zero), "TIME"),
        (new("bytes", typeof(byte[])), r => Enumerable.Range(0, r.Next(0, 5)).Select(i => (byte)r.Next(256)).ToArray(), "BLOB"),
        (new("doubles", typeof(object[])), r => List(r, () => r.NextDouble()), "DOUBLE[]"),
        (new("strings", typeof(object[])), r => List(r, () => $"s{r.Next(100)}"), "VARCHAR[]"),
        (new("bools", typeof(object[])), r => List(r, () => r.Next(2) == 0), "BOOLEAN[]"),
        (new("answers", typeof(object[]), ElementType: typeof(string)), r => List(r, () => $"a{r.Next(100)}"), "VARCHAR[]"),
        (new("t:0", typeof(double)), r => r.NextDouble(), "DOUBLE"),
        (new("error", typeof(string)), r => r.Next(3) == 0 ? $"failed {r.Next()}" : null, "VARCHAR"),
    ];

    private static readonly Lazy<(IReadOnlyList<TableColumn> Columns, List<object?[]> Rows, Dictionary<string, string> DuckTypes)> Kept = new(ReadKept);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-readback-");

    public void Dispose() => _dir.Delete(recursive: true);

    public sealed record Case(int Seed, int[] Columns, bool Native, int Rows, int GroupRows, int NullPercent)
    {
        public override string ToString() =>
            $"seed {Seed}, columns [{string.Join(",", Columns)}] ({(Native ? "DuckDB's" : "by value type")}), {Rows} rows, row groups of {GroupRows}, {NullPercent} % nulls";
    }

    private static readonly Gen<Case> Cases =
        from native in Gen.Elements(false, true)
        from width in Gen.Choose(1, 6)
        from columns in Gen.ArrayOf(Gen.Choose(0, 1000), width)
        from seed in Gen.Choose(0, int.MaxValue)
        from rows in Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 60)))
        from groupRows in Gen.Choose(1, 20)
        from nulls in Gen.Elements(0, 10, 50, 100)
        select new Case(seed, columns, native, rows, groupRows, nulls);

    [Fact]
    public async Task A_table_written_reads_back_with_its_values_and_types_by_the_library_and_by_DuckDB()
    {
        var property = Prop.ForAll(Cases.ToArbitrary(), (Case c) => CheckAsync(c).GetAwaiter().GetResult());
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(150).WithQuietOnSuccess(true), property));
    }

    [Fact]
    public async Task Every_column_at_once_with_nulls_in_several_row_groups()
    {
        Assert.True(await CheckAsync(new Case(7, [.. Enumerable.Range(0, ByValueType.Length)], false, 50, 16, 10)));
        Assert.True(await CheckAsync(new Case(7, [.. Enumerable.Range(0, 1000)], true, 45, 7, 10)));
    }

    private async Task<bool> CheckAsync(Case c)
    {
        var (columns, rows, duckTypes) = c.Native ? NativeTable(c) : ValueTypeTable(c);
        var path = Path.Combine(_dir.FullName, $"{Guid.NewGuid():N}.parquet");
        if (AsWritten(columns, rows, duckTypes) is not { } written)
        {
            // Text in a list column whose first row group made it a list of numbers: the writer refuses the table.
            await Assert.ThrowsAsync<FormatException>(() => WriteAsync(path, columns, rows, c.GroupRows));
            return true;
        }

        rows = written;
        await WriteAsync(path, columns, rows, c.GroupRows);

        // The library's reader: the same columns, of the same types, and the same values.
        await using (var reader = await ParquetTableReader.OpenAsync(Open(path), 0, null, default))
        {
            Assert.Equal(columns.Select(x => (x.Name, x.ValueType)), reader.Columns.Select(x => (x.Name, x.ValueType)));
            AssertSameRows(rows, await RowsAsync(reader), "the library's reader");
        }

        // DuckDB: the column types the writer chose, and the values, copied by DuckDB into a file of its own.
        var copy = Path.Combine(_dir.FullName, $"{Guid.NewGuid():N}.parquet");
        var described = await DuckDb.QueryAsync(
            $"COPY (SELECT * FROM read_parquet({DuckDb.Literal(path)})) TO {DuckDb.Literal(copy)} (FORMAT parquet); DESCRIBE SELECT * FROM read_parquet({DuckDb.Literal(path)})");
        Assert.Equal(columns.Select(x => $"{x.Name} {duckTypes[x.Name]}"), described.Select(d => $"{(string)d["column_name"]!} {(string)d["column_type"]!}"));
        AssertSameRows(rows, await RowsAsync(copy, [.. columns.Select(x => x.Name)]), "DuckDB");
        return true;
    }

    private static async Task WriteAsync(string path, IReadOnlyList<TableColumn> columns, List<object?[]> rows, int groupRows)
    {
        await using var output = new FileStream(path, FileMode.CreateNew, FileAccess.Write);
        await using var writer = ParquetTableWriter.Create(output, columns, groupRows);
        foreach (var row in rows)
        {
            // The caller reuses its row: the writer gets a copy it may not keep.
            await writer.WriteAsync([.. row], default);
        }

        await writer.CompleteAsync(default);
    }

    /// <summary>The rows as they are written: a list column of no type of its own whose first row group held no element
    /// is a list of numbers, its later booleans written as numbers; null when it holds text (the table cannot be written).</summary>
    private static List<object?[]>? AsWritten(IReadOnlyList<TableColumn> columns, List<object?[]> rows, Dictionary<string, string> duckTypes)
    {
        var numbers = columns.Select(x => x.Native is null && x.ValueType == typeof(object[]) && duckTypes[x.Name] == "DOUBLE[]").ToArray();
        if (rows.Any(row => row.Where((v, c) => numbers[c] && v is object?[] list && list.Any(e => e is string)).Any()))
        {
            return null;
        }

        return [.. rows.Select(row => row.Select((v, c) => numbers[c] && v is object?[] list ? list.Select(e => e is bool b ? (b ? 1.0 : 0.0) : e).ToArray() : v).ToArray())];
    }

    private static void AssertSameRows(List<object?[]> expected, List<object?[]> actual, string by)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (var r = 0; r < expected.Count; r++)
        {
            for (var c = 0; c < expected[r].Length; c++)
            {
                if (!Same(expected[r][c], actual[r][c]))
                {
                    throw new Xunit.Sdk.XunitException($"{by}: row {r}, column {c}: wrote {Show(expected[r][c])}, read back {Show(actual[r][c])}");
                }
            }
        }
    }

    /// <summary>The same value of the same type (a timestamp's kind aside: a timestamp as written reads back unspecified;
    /// lists and bytes element by element).</summary>
    private static bool Same(object? expected, object? actual) => (expected, actual) switch
    {
        (null, null) => true,
        (null, _) or (_, null) => false,
        (byte[] e, byte[] a) => e.AsSpan().SequenceEqual(a),
        (object?[] e, object?[] a) => e.Length == a.Length && e.Zip(a).All(p => Same(p.First, p.Second)),
        _ => expected.GetType() == actual.GetType() && expected.Equals(actual),
    };

    private static string Show(object? value) => value switch
    {
        null => "null",
        byte[] b => $"bytes [{Convert.ToHexString(b)}]",
        object?[] list => $"[{string.Join(", ", list.Select(Show))}]",
        _ => $"{value.GetType().Name} {Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture)}",
    };

    private static (IReadOnlyList<TableColumn>, List<object?[]>, Dictionary<string, string>) ValueTypeTable(Case c)
    {
        var random = new Random(c.Seed);
        var chosen = c.Columns.Select(i => i % ByValueType.Length).Distinct().ToArray();
        var rows = new List<object?[]>();
        for (var r = 0; r < c.Rows; r++)
        {
            rows.Add([.. chosen.Select(i => random.Next(100) < c.NullPercent ? null : ByValueType[i].Value(random))]);
        }

        // A list column whose first row group has no element is a list of DOUBLE.
        var types = chosen.ToDictionary(i => ByValueType[i].Column.Name, i => ListOfNothingYet(rows, chosen, i, c.GroupRows) ? "DOUBLE[]" : ByValueType[i].DuckType);
        return ([.. chosen.Select(i => ByValueType[i].Column)], rows, types);
    }

    private static bool ListOfNothingYet(List<object?[]> rows, int[] chosen, int i, int groupRows)
    {
        var column = ByValueType[i].Column;
        var at = Array.IndexOf(chosen, i);
        // A column that names its element type (a prediction column's) is written as that type whatever its first rows hold.
        return column.ValueType == typeof(object[]) && column.ElementType is null
            && !rows.Take(groupRows).Any(row => row[at] is object?[] list && list.Any(e => e is not null));
    }

    /// <summary>Columns of DuckDB's file of every type, kept with their Parquet types; each row's values those of a
    /// random row of the file, null where the column allows it by the case's share.</summary>
    private static (IReadOnlyList<TableColumn>, List<object?[]>, Dictionary<string, string>) NativeTable(Case c)
    {
        var (columns, source, types) = Kept.Value;
        var random = new Random(c.Seed);
        var chosen = c.Columns.Select(i => i % columns.Count).Distinct().ToArray();
        var rows = new List<object?[]>();
        for (var r = 0; r < c.Rows; r++)
        {
            var from = source[random.Next(source.Count)];
            rows.Add([.. chosen.Select(i => random.Next(100) < c.NullPercent && Nullable(columns[i]) ? null : from[i])]);
        }

        return ([.. chosen.Select(i => columns[i])], rows, types);
    }

    private static bool Nullable(TableColumn column) => column.Native is not Parquet.Schema.DataField { IsNullable: false };

    private static (IReadOnlyList<TableColumn>, List<object?[]>, Dictionary<string, string>) ReadKept()
    {
        return Task.Run(async () =>
        {
            var fixture = Fixture("duckdb-types-v1-snappy.parquet");
            await using var input = await ParquetTableReader.OpenAsync(Open(fixture), 0, null, default);
            var kept = input.Columns.Select((c, i) => (c, i)).Where(x => x.c.ValueType != typeof(object)).ToList();
            IReadOnlyList<TableColumn> columns = [.. kept.Select(x => x.c)];
            // The types DuckDB reads the fixture's columns as, but for JSON, which the writer writes as text.
            var described = await DuckDb.QueryAsync($"DESCRIBE SELECT * FROM read_parquet({DuckDb.Literal(fixture)})");
            var types = described.ToDictionary(d => (string)d["column_name"]!, d => (string)d["column_type"]! is "JSON" ? "VARCHAR" : (string)d["column_type"]!);
            return (columns, await RowsAsync(input, [.. kept.Select(x => x.i)]), types);
        }).GetAwaiter().GetResult();
    }

    /// <summary>Now and then one of the odd values instead of the usual one.</summary>
    private static object Odd<T>(Random random, T usual, params T[] odd)
        where T : notnull =>
        random.Next(8) == 0 ? odd[random.Next(odd.Length)] : usual;

    private static object? List(Random random, Func<object> element) => random.Next(6) switch
    {
        0 => Array.Empty<object?>(),
        _ => Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(4) == 0 ? null : element()).ToArray(),
    };
}
