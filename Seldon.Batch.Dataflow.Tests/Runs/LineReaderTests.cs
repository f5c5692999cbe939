using System.Text;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Runs;

public sealed class LineReaderTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"line-reader-tests-{Guid.NewGuid():N}");

    public LineReaderTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private async Task<List<string>> ReadAsync(byte[] content)
    {
        var path = Path.Combine(_folder, $"{Guid.NewGuid():N}.txt");
        await File.WriteAllBytesAsync(path, content);
        var lines = new List<string>();
        await foreach (var line in LineReader.ReadLinesAsync(path))
        {
            lines.Add(line);
        }

        // Every case holds the lines a file run's encoders get (ReadInputLinesAsync) to the text: decoded, the same lines,
        // each line's bytes its own (no line changed by the ones read after it in the same chunk).
        var read = new List<InputLine>();
        await using (var stream = File.OpenRead(path))
        {
            var position = new LineReader.ReadPosition();
            await foreach (var line in LineReader.ReadInputLinesAsync(stream, position, atStartOfFile: true, firstIndex: 7))
            {
                read.Add(line);
            }

            Assert.Equal(lines.Count, position.Read().Lines);
        }

        Assert.All(read, line => Assert.True(line.HasUtf8));
        Assert.Equal(Enumerable.Range(7, lines.Count).Select(k => (long)k), read.Select(line => line.Index));
        Assert.Equal(lines, read.Select(line => InputLine.Decode(line.Utf8.Span)));
        return lines;
    }

    private Task<List<string>> ReadAsync(string content) => ReadAsync(Encoding.UTF8.GetBytes(content));

    [Fact]
    public async Task Lines_read_as_bytes_fill_chunks_and_a_long_line_has_its_own_array()
    {
        // Lines of every length around the chunk's edge and the long-line bound, in one file: ReadAsync holds them to the text.
        var random = new Random(5);
        var content = string.Concat(Enumerable.Range(0, 3000).Select(k => new string((char)('a' + k % 26), random.Next(0, LineReader.ChunkSize / 6)) + "\n"));
        Assert.Equal(3000, (await ReadAsync(content)).Count);
    }

    [Fact]
    public async Task Splits_on_lf()
    {
        Assert.Equal(["[[1]]", "[[2]]", "[[3]]"], await ReadAsync("[[1]]\n[[2]]\n[[3]]\n"));
    }

    [Fact]
    public async Task Drops_the_cr_of_crlf()
    {
        Assert.Equal(["a", "b", "c"], await ReadAsync("a\r\nb\r\nc\r\n"));
    }

    [Fact]
    public async Task Mixed_line_endings()
    {
        Assert.Equal(["a", "b", "c"], await ReadAsync("a\nb\r\nc"));
    }

    [Fact]
    public async Task Last_line_without_newline_is_read()
    {
        Assert.Equal(["first", "last"], await ReadAsync("first\nlast"));
    }

    [Fact]
    public async Task Last_line_without_newline_loses_its_cr()
    {
        Assert.Equal(["first", "last"], await ReadAsync("first\r\nlast\r"));
    }

    [Fact]
    public async Task Empty_file_has_no_lines()
    {
        Assert.Empty(await ReadAsync([]));
    }

    [Fact]
    public async Task A_lone_newline_is_one_empty_line()
    {
        Assert.Equal([""], await ReadAsync("\n"));
    }

    [Fact]
    public async Task Blank_lines_are_kept_as_empty_strings()
    {
        Assert.Equal(["a", "", "b", "", "  ", ""], await ReadAsync("a\n\nb\r\n\r\n  \n\n"));
    }

    [Fact]
    public async Task Bom_is_stripped_from_the_first_line_only()
    {
        byte[] bom = [0xEF, 0xBB, 0xBF];
        var content = bom.Concat(Encoding.UTF8.GetBytes("a\n")).Concat(bom).Concat(Encoding.UTF8.GetBytes("b\n")).ToArray();

        var lines = await ReadAsync(content);

        Assert.Equal(["a", "\uFEFFb"], lines);
    }

    [Fact]
    public async Task Bom_alone_on_the_first_line_gives_an_empty_line()
    {
        byte[] content = [0xEF, 0xBB, 0xBF, (byte)'\r', (byte)'\n', (byte)'x'];

        Assert.Equal(["", "x"], await ReadAsync(content));
    }

    [Fact]
    public async Task Invalid_utf8_is_replaced_not_fatal()
    {
        byte[] content = [(byte)'a', 0xFF, (byte)'b', (byte)'\n', 0xC3, (byte)'\n', (byte)'c'];

        var lines = await ReadAsync(content);

        Assert.Equal(["a\uFFFDb", "\uFFFD", "c"], lines);
    }

    [Fact]
    public async Task Non_ascii_text_is_decoded()
    {
        Assert.Equal(["\"héllo 世界 🙂\"", "x"], await ReadAsync("\"héllo 世界 🙂\"\nx"));
    }

    [Fact]
    public async Task A_lone_cr_inside_a_line_is_not_a_line_break()
    {
        Assert.Equal(["a\rb", "c"], await ReadAsync("a\rb\nc"));
    }

    [Fact]
    public async Task A_five_megabyte_line_is_read_whole()
    {
        var big = "[" + string.Join(',', Enumerable.Repeat("1234", 1_000_000)) + "]";
        Assert.True(big.Length > 5_000_000);

        var lines = await ReadAsync($"[[0]]\n{big}\n[[2]]\n");

        Assert.Equal(3, lines.Count);
        Assert.Equal("[[0]]", lines[0]);
        Assert.Equal(big.Length, lines[1].Length);
        Assert.Equal(big, lines[1]);
        Assert.Equal("[[2]]", lines[2]);
    }

    [Fact]
    public async Task Multibyte_characters_across_buffer_boundaries_are_decoded()
    {
        // 'é' is two bytes; with an odd prefix one of them straddles every 64 KiB boundary.
        var line = "x" + string.Concat(Enumerable.Repeat("é", 100_000));

        var lines = await ReadAsync(line + "\r\n" + line);

        Assert.Equal([line, line], lines);
    }

    [Fact]
    public async Task Cr_before_a_buffer_boundary_lf_is_dropped()
    {
        // The "\r\n" of the first line straddles the 64 KiB read boundary.
        var first = new string('a', (1 << 16) - 1);

        var lines = await ReadAsync(first + "\r\nb");

        Assert.Equal([first, "b"], lines);
    }

    [Fact]
    public async Task Many_lines_keep_their_order()
    {
        var expected = Enumerable.Range(0, 50_000).Select(i => $"[[{i}]]").ToList();

        var lines = await ReadAsync(string.Join('\n', expected) + "\n");

        Assert.Equal(expected, lines);
    }

    [Fact]
    public async Task Cancellation_stops_reading()
    {
        var path = Path.Combine(_folder, "cancel.txt");
        await File.WriteAllTextAsync(path, "a\nb\n");
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in LineReader.ReadLinesAsync(path, cts.Token))
            {
            }
        });
    }

    [Theory]
    [InlineData("")]
    [InlineData("\n")]
    [InlineData("a")]
    [InlineData("a\n")]
    [InlineData("a\nb")]
    [InlineData("a\r\nb\r\n")]
    [InlineData("\n\n\n")]
    [InlineData("\uFEFF")]
    [InlineData("\uFEFF\n")]
    [InlineData("\uFEFFa")]
    public async Task Counting_lines_agrees_with_reading_them(string content)
    {
        var bytes = Encoding.UTF8.GetBytes(content);
        var path = Path.Combine(_folder, $"{Guid.NewGuid():N}.txt");
        await File.WriteAllBytesAsync(path, bytes);

        Assert.Equal((await ReadAsync(bytes)).Count, await LineReader.CountLinesAsync(path));
    }

    [Fact]
    public async Task Counting_lines_spans_buffers()
    {
        var content = string.Concat(Enumerable.Range(0, 30_000).Select(i => $"[[{i}, {i * 7}]]\n")) + "last";
        var path = Path.Combine(_folder, "big.txt");
        await File.WriteAllTextAsync(path, content);

        Assert.Equal(30_001, await LineReader.CountLinesAsync(path));
    }
}
