using FsCheck;
using FsCheck.Fluent;
using static Seldon.Batch.Dataflow.Tests.Tables.ParquetFiles;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Property: the Parquet writer, which converts each value into its column's typed buffer as the row comes
/// (<see cref="ColumnEncoder.Add"/>), writes the same bytes as the writer it replaced (<see cref="BoxedParquetTableWriter"/>,
/// main 691d9e6's, which held the rows' boxed values until a row group was full), over random tables: any of the value
/// types a table holds, the columns of DuckDB's Parquet files with their exact types, nulls anywhere a column allows
/// them, lists empty, null or holding nulls, list columns whose element type the first rows tell, row groups of 1 to 20
/// rows, and no rows at all.</summary>
public sealed class ParquetTypedWriterProperties
{
    /// <summary>Columns by value type (no Parquet type of their own), and how row <c>i</c>'s value is made of a number.</summary>
    private static readonly (TableColumn Column, Func<Random, object?> Value)[] ByValueType =
    [
        (new("double", typeof(double)), r => r.NextDouble() * r.Next(-1000, 1000)),
        (new("float", typeof(float)), r => (float)(r.NextDouble() * 100)),
        (new("long", typeof(long)), r => r.NextInt64(long.MinValue, long.MaxValue)),
        (new("int", typeof(int)), r => r.Next(int.MinValue, int.MaxValue)),
        (new("short", typeof(short)), r => (short)r.Next(short.MinValue, short.MaxValue)),
        (new("sbyte", typeof(sbyte)), r => (sbyte)r.Next(sbyte.MinValue, sbyte.MaxValue)),
        (new("ulong", typeof(ulong)), r => (ulong)r.NextInt64(0, long.MaxValue) * 2),
        (new("uint", typeof(uint)), r => (uint)r.NextInt64(0, uint.MaxValue)),
        (new("ushort", typeof(ushort)), r => (ushort)r.Next(0, ushort.MaxValue)),
        (new("byte", typeof(byte)), r => (byte)r.Next(0, 255)),
        (new("bool", typeof(bool)), r => r.Next(2) == 0),
        (new("string", typeof(string)), r => new string('é', r.Next(0, 4)) + r.Next()),
        (new("decimal", typeof(decimal)), r => new decimal(r.NextDouble() * 1e6)),
        (new("timestamp", typeof(DateTime)), r => new DateTime(2024, 1, 2, 3, 4, 5, (DateTimeKind)r.Next(0, 2)).AddTicks(r.NextInt64(0, TimeSpan.TicksPerDay * 400) / 10 * 10)),
        (new("date", typeof(DateOnly)), r => new DateOnly(1970, 1, 1).AddDays(r.Next(-1000, 30000))),
        (new("time", typeof(TimeSpan)), r => TimeSpan.FromTicks(r.NextInt64(0, TimeSpan.TicksPerDay) / 10 * 10)),
        (new("bytes", typeof(byte[])), r => Enumerable.Range(0, r.Next(0, 5)).Select(i => (byte)r.Next(256)).ToArray()),
        (new("doubles", typeof(object[])), r => List(r, () => r.NextDouble())),
        (new("strings", typeof(object[])), r => List(r, () => $"s{r.Next(100)}")),
        (new("bools", typeof(object[])), r => List(r, () => r.Next(2) == 0)),
        (new("t:0", typeof(double)), r => r.NextDouble()),
        (new("error", typeof(string)), r => r.Next(3) == 0 ? $"failed {r.Next()}" : null),
    ];

    private static readonly Lazy<(IReadOnlyList<TableColumn> Columns, List<object?[]> Rows)> Kept = new(ReadKept);

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
    public async Task The_typed_writer_writes_the_bytes_the_boxed_one_wrote()
    {
        var property = Prop.ForAll(Cases.ToArbitrary(), (Case c) => CheckAsync(c).GetAwaiter().GetResult());
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(400).WithQuietOnSuccess(true), property));
    }

    [Fact]
    public async Task Every_column_at_once_with_nulls_in_several_row_groups()
    {
        Assert.True(await CheckAsync(new Case(7, [.. Enumerable.Range(0, ByValueType.Length)], false, 50, 16, 10)));
        Assert.True(await CheckAsync(new Case(7, [.. Enumerable.Range(0, 1000)], true, 45, 7, 10)));
    }

    private static async Task<bool> CheckAsync(Case c)
    {
        var (columns, rows) = c.Native ? NativeTable(c) : ValueTypeTable(c);
        var typed = await WriteAsync(ParquetTableWriter.Create, columns, rows, c.GroupRows);
        var boxed = await WriteAsync(BoxedParquetTableWriter.Create, columns, rows, c.GroupRows);
        // A table neither can write (text in a list column whose first rows made it a list of numbers) fails alike.
        Assert.Equal(boxed.Failure, typed.Failure);
        Assert.True(boxed.Bytes.AsSpan().SequenceEqual(typed.Bytes), $"the files differ ({boxed.Bytes.Length} and {typed.Bytes.Length} bytes)");
        return true;
    }

    private static async Task<(byte[] Bytes, string? Failure)> WriteAsync<TWriter>(
        Func<Stream, IReadOnlyList<TableColumn>, int, TWriter> create, IReadOnlyList<TableColumn> columns, List<object?[]> rows, int groupRows)
        where TWriter : ITableWriter
    {
        var output = new MemoryStream();
        try
        {
            await using var writer = create(output, columns, groupRows);
            foreach (var row in rows)
            {
                // The caller reuses its row: the writer gets a copy it may not keep.
                await writer.WriteAsync([.. row], default);
            }

            await writer.CompleteAsync(default);
            return (output.ToArray(), null);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or InvalidCastException)
        {
            return ([], $"{ex.GetType().Name}: {ex.Message}");
        }
    }

    private static (IReadOnlyList<TableColumn>, List<object?[]>) ValueTypeTable(Case c)
    {
        var random = new Random(c.Seed);
        var chosen = c.Columns.Select(i => i % ByValueType.Length).Distinct().ToArray();
        var rows = new List<object?[]>();
        for (var r = 0; r < c.Rows; r++)
        {
            rows.Add([.. chosen.Select(i => random.Next(100) < c.NullPercent ? null : ByValueType[i].Value(random))]);
        }

        return ([.. chosen.Select(i => ByValueType[i].Column)], rows);
    }

    /// <summary>Columns of DuckDB's file of every type, kept with their Parquet types; each row's values those of a
    /// random row of the file, null where the column allows it by the case's share.</summary>
    private static (IReadOnlyList<TableColumn>, List<object?[]>) NativeTable(Case c)
    {
        var (columns, source) = Kept.Value;
        var random = new Random(c.Seed);
        var chosen = c.Columns.Select(i => i % columns.Count).Distinct().ToArray();
        var rows = new List<object?[]>();
        for (var r = 0; r < c.Rows; r++)
        {
            var from = source[random.Next(source.Count)];
            rows.Add([.. chosen.Select(i => random.Next(100) < c.NullPercent && Nullable(columns[i]) ? null : from[i])]);
        }

        return ([.. chosen.Select(i => columns[i])], rows);
    }

    private static bool Nullable(TableColumn column) => column.Native is not Parquet.Schema.DataField { IsNullable: false };

    private static (IReadOnlyList<TableColumn>, List<object?[]>) ReadKept()
    {
        return Task.Run(async () =>
        {
            await using var input = await ParquetTableReader.OpenAsync(Open(Fixture("duckdb-types-v1-snappy.parquet")), 0, null, default);
            var kept = input.Columns.Select((c, i) => (c, i)).Where(x => x.c.ValueType != typeof(object)).ToList();
            IReadOnlyList<TableColumn> columns = [.. kept.Select(x => x.c)];
            return (columns, await RowsAsync(input, [.. kept.Select(x => x.i)]));
        }).GetAwaiter().GetResult();
    }

    private static object? List(Random random, Func<object> element) => random.Next(6) switch
    {
        0 => Array.Empty<object?>(),
        _ => Enumerable.Range(0, random.Next(1, 4)).Select(_ => random.Next(4) == 0 ? null : element()).ToArray(),
    };
}
