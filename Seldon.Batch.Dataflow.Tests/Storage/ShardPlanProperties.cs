using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Storage;

/// <summary>Property: whatever the input holds (CRLF, a byte-order mark, blank lines, no final newline, more shards
/// than lines), the planned ranges are contiguous, start at line starts whose number is a multiple of the batch size
/// (so a shard's micro-batches are one process's), and read back line by line they give exactly the lines of the whole
/// file, each range's first line numbered as its global position.</summary>
public sealed class ShardPlanProperties
{
    public sealed record Case(string[] Lines, bool Bom, bool FinalNewline, bool Crlf, int Shards, int BatchSize)
    {
        public byte[] Bytes()
        {
            var text = string.Join(Crlf ? "\r\n" : "\n", Lines) + (FinalNewline && Lines.Length > 0 ? (Crlf ? "\r\n" : "\n") : "");
            var bytes = Encoding.UTF8.GetBytes(text);
            return Bom ? [0xEF, 0xBB, 0xBF, .. bytes] : bytes;
        }

        public override string ToString() =>
            $"{Shards} shards, batch size {BatchSize}, bom {Bom}, final newline {FinalNewline}, crlf {Crlf}, lines: {System.Text.Json.JsonSerializer.Serialize(Lines)}";
    }

    private static readonly Gen<string> AnyLine = Gen.Frequency(
        (5, Gen.Choose(0, 10_000).Select(n => $"[[{n}, 1]]")),
        (2, Gen.Constant("")),
        (1, Gen.Elements("\r", " ", "é€", "[[1,", "\uFEFF")),
        (1, Gen.Choose(50, 400).Select(n => new string('x', n))));

    private static readonly Gen<Case> Cases =
        from count in Gen.Choose(0, 40)
        from lines in Gen.ArrayOf(AnyLine, count)
        from bom in Gen.Elements(false, true)
        from finalNewline in Gen.Elements(false, true)
        from crlf in Gen.Elements(false, true)
        from shards in Gen.Frequency((3, Gen.Choose(1, 8)), (1, Gen.Choose(9, 60)))
        from batchSize in Gen.Frequency((2, Gen.Constant(1)), (3, Gen.Choose(2, 7)), (1, Gen.Choose(8, 50)))
        select new Case(lines, bom, finalNewline, crlf, shards, batchSize);

    [Fact]
    public async Task Planned_ranges_join_back_into_the_file_exactly()
    {
        var property = Prop.ForAll(Cases.ToArbitrary(), (Case c) => CheckAsync(c).GetAwaiter().GetResult());
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(300).WithQuietOnSuccess(true), property));
    }

    [Theory]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF }, 3, 1)]
    [InlineData(new byte[] { 0xEF, 0xBB, 0xBF, (byte)'\n' }, 2, 1)]
    [InlineData(new byte[] { (byte)'\n', (byte)'\n', (byte)'\n' }, 5, 1)]
    [InlineData(new byte[] { (byte)'\n', (byte)'\n', (byte)'\n' }, 5, 2)]
    [InlineData(new byte[0], 4, 3)]
    public async Task Edge_cases_join_back(byte[] bytes, int shards, int batchSize) =>
        Assert.True(await CheckBytesAsync(bytes, shards, batchSize), "the ranges did not join back into the file");

    [Fact]
    public async Task A_shard_starts_at_the_next_micro_batch_after_its_even_cut_point()
    {
        // Ten lines of 4 bytes, two shards: the even cut is line 5, which starts no micro-batch of 4; line 8 does.
        var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 10).Select(i => $"[{i}]\n")));

        var ranges = await ShardPlan.CutAsync(new MemoryStream(bytes), bytes.Length, 2, 4, CancellationToken.None);

        Assert.Equal([0L, 8L], ranges.Select(r => r.FirstLine));
        Assert.Equal([8L, 2L], ranges.Select(r => r.Lines));
    }

    private static Task<bool> CheckAsync(Case c) => CheckBytesAsync(c.Bytes(), c.Shards, c.BatchSize);

    private static async Task<bool> CheckBytesAsync(byte[] bytes, int shards, int batchSize)
    {
        var whole = await ReadAsync(bytes, 0, bytes.Length);
        var ranges = await ShardPlan.CutAsync(new MemoryStream(bytes), bytes.Length, shards, batchSize, CancellationToken.None);
        Assert.Equal(shards, ranges.Count);
        var joined = new List<string>();
        long expectedStart = 0;
        foreach (var range in ranges)
        {
            Assert.Equal(expectedStart, range.Start);
            Assert.True(range.Start == 0 || range.Start == bytes.Length || bytes[range.Start - 1] == (byte)'\n', $"range {range} does not start a line");
            Assert.Equal(joined.Count, range.FirstLine);
            Assert.True(range.Lines == 0 || range.FirstLine % batchSize == 0, $"range {range} does not start a micro-batch of {batchSize}");
            var lines = await ReadAsync(bytes, range.Start, range.End);
            Assert.Equal(range.Lines, lines.Count);
            joined.AddRange(lines);
            expectedStart = range.End;
        }

        Assert.Equal(bytes.Length, expectedStart);
        Assert.Equal(whole, joined);
        return true;
    }

    private static async Task<List<string>> ReadAsync(byte[] bytes, long start, long end)
    {
        var lines = new List<string>();
        using var range = new MemoryStream(bytes, (int)start, (int)(end - start));
        await foreach (var line in LineReader.ReadLinesAsync(range, null, atStartOfFile: start == 0))
        {
            lines.Add(line);
        }

        return lines;
    }
}
