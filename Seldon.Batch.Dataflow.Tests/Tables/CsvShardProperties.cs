using System.Text;
using FsCheck;
using FsCheck.Fluent;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Property: whatever a CSV file holds (quoted delimiters, quotes and line breaks, CRLF or LF, a byte-order
/// mark, nulls and empty strings, fields quoted when they need not be, no final line end, one column or several), it
/// reads back as the cells it was made of, and its shard ranges are contiguous, start at row starts on multiples of the
/// batch size, and read range by range give exactly the rows of the whole file.</summary>
public sealed class CsvShardProperties
{
    public sealed record Case(string?[][] Rows, int Width, bool Bom, bool Crlf, bool FinalNewline, bool QuoteAll, int Shards, int BatchSize)
    {
        public byte[] Bytes()
        {
            var end = Crlf ? "\r\n" : "\n";
            var text = new StringBuilder(string.Join(",", Enumerable.Range(0, Width).Select(i => $"c{i}")));
            foreach (var row in Rows)
            {
                text.Append(end).Append(string.Join(",", row.Select(Field)));
            }

            // One column's null row is a blank line: a file ending in one needs its line end, or the row is not there.
            if (FinalNewline || (Width == 1 && Rows.Length > 0 && Rows[^1][0] is null))
            {
                text.Append(end);
            }

            var bytes = Encoding.UTF8.GetBytes(text.ToString());
            return Bom ? [0xEF, 0xBB, 0xBF, .. bytes] : bytes;
        }

        private string Field(string? value) =>
            value is null ? ""
            : value.Length == 0 || QuoteAll || value.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\""
            : value;

        public override string ToString() =>
            $"{Shards} shards, batch size {BatchSize}, bom {Bom}, crlf {Crlf}, final newline {FinalNewline}, quote all {QuoteAll}, rows: {System.Text.Json.JsonSerializer.Serialize(Rows)}";
    }

    // Every value starts with a letter, so that every column is read as text and compares with the cells as they are.
    private static readonly Gen<string?> AnyCell = Gen.Frequency(
        (2, Gen.Constant<string?>(null)),
        (1, Gen.Constant<string?>("")),
        (6, from n in Gen.Choose(0, 6)
            from parts in Gen.ArrayOf(Gen.Elements("a", ",", "\"", "\n", "\r\n", "\r", " ", "é", "😀", "\t", "x"), n)
            select (string?)("s" + string.Concat(parts))));

    private static readonly Gen<Case> Cases =
        from width in Gen.Choose(1, 3)
        from count in Gen.Choose(0, 40)
        from rows in Gen.ArrayOf(Gen.ArrayOf(AnyCell, width), count)
        from bom in Gen.Elements(false, true)
        from crlf in Gen.Elements(false, true)
        from finalNewline in Gen.Elements(false, true)
        from quoteAll in Gen.Elements(false, true)
        from shards in Gen.Frequency((3, Gen.Choose(1, 8)), (1, Gen.Choose(9, 60)))
        from batchSize in Gen.Frequency((2, Gen.Constant(1)), (3, Gen.Choose(2, 7)), (1, Gen.Choose(8, 50)))
        select new Case(rows, width, bom, crlf, finalNewline, quoteAll, shards, batchSize);

    [Fact]
    public async Task A_file_reads_back_as_its_cells_and_its_shards_join_into_it()
    {
        var property = Prop.ForAll(Cases.ToArbitrary(), (Case c) => CheckAsync(c).GetAwaiter().GetResult());
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), property));
    }

    private static async Task<bool> CheckAsync(Case c)
    {
        var bytes = c.Bytes();
        var layout = await CsvTableReader.DescribeAsync(new MemoryStream(bytes), ',', CancellationToken.None);
        var whole = await CsvFiles.ReadRowsAsync(new MemoryStream(bytes), ',', layout, atFileStart: true);
        Assert.Equal(c.Rows, whole.Select(r => r.Cast<string?>().ToArray()));

        var ranges = await CsvShards.CutAsync(new MemoryStream(bytes), bytes.Length, layout, c.Shards, c.BatchSize, ',', CancellationToken.None);
        Assert.Equal(c.Shards, ranges.Count);
        Assert.Equal(whole, await CsvShardsTests.AssertJoinAsync(bytes, layout, ranges, c.BatchSize));
        return true;
    }
}
