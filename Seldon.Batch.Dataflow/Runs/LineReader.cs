using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;
using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>Streams the lines of a file without loading it: splits on '\n' only (a '\r' before it is
/// dropped), so line k of the file is always instance k; invalid UTF-8 is replaced, never fatal.</summary>
internal static class LineReader
{
    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    public static IAsyncEnumerable<string> ReadLinesAsync(string path, CancellationToken ct = default) =>
        ReadLinesAsync(path, null, ct);

    /// <summary>Streams the lines of <paramref name="path"/>; <paramref name="position"/>, when given, follows the
    /// bytes consumed so far (for progress and ETA).</summary>
    public static async IAsyncEnumerable<string> ReadLinesAsync(string path, ReadPosition? position, [EnumeratorCancellation] CancellationToken ct = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        await foreach (var line in ReadLinesAsync(stream, position, atStartOfFile: true, ct).ConfigureAwait(false))
        {
            yield return line;
        }
    }

    /// <summary>Streams the lines of <paramref name="stream"/> (not disposed here). A byte-order mark is dropped only
    /// <paramref name="atStartOfFile"/>: a shard's range that starts mid-file has none.</summary>
    public static IAsyncEnumerable<string> ReadLinesAsync(Stream stream, ReadPosition? position, bool atStartOfFile, CancellationToken ct = default) =>
        ReadAsync<string, TextLines>(stream, position, atStartOfFile, default, ct);

    /// <summary>Streams the lines of <paramref name="stream"/> as <see cref="ReadLinesAsync(Stream, ReadPosition?, bool, CancellationToken)"/>
    /// does, numbered from <paramref name="firstIndex"/>, each as its UTF-8 bytes as they are in the file (invalid UTF-8 is
    /// replaced only where a line is decoded, see <see cref="InputLine.Text"/>): a run's encoders scan the bytes, with no
    /// string made of the line. Lines are copied into shared chunks of <see cref="ChunkSize"/> bytes, so a line costs no
    /// allocation of its own.</summary>
    public static IAsyncEnumerable<InputLine> ReadInputLinesAsync(Stream stream, ReadPosition? position, bool atStartOfFile, long firstIndex, CancellationToken ct = default) =>
        ReadAsync<InputLine, LineChunks>(stream, position, atStartOfFile, new LineChunks(firstIndex), ct);

    /// <summary>The bytes of a line: lines share a chunk until it is full (a chunk lives while any of its lines does; the
    /// read window bounds the lines alive), a long line has an array of its own.</summary>
    internal const int ChunkSize = 1 << 15;

    /// <summary>Each line without its terminator, a leading byte-order mark or a '\r' before its '\n', made into a
    /// <typeparamref name="T"/> by <paramref name="form"/> (one iterator for both forms: a file run's reading goes through
    /// a nest of them, each a cost per line).</summary>
    private static async IAsyncEnumerable<T> ReadAsync<T, TForm>(Stream stream, ReadPosition? position, bool atStartOfFile, TForm form, [EnumeratorCancellation] CancellationToken ct)
        where TForm : ILineForm<T>
    {
        var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        var first = atStartOfFile;
        while (true)
        {
            var read = await reader.ReadAsync(ct).ConfigureAwait(false);
            var buffer = read.Buffer;
            while (TryTakeLine(ref buffer, out var line))
            {
                position?.Advance(line.Length + 1);
                yield return form.Make(Trim(line, ref first));
            }

            if (read.IsCompleted)
            {
                // The last line needs no newline, but a file holding nothing but a byte-order mark has no line.
                if (!buffer.IsEmpty && !(first && IsByteOrderMark(buffer)))
                {
                    position?.Advance(buffer.Length);
                    yield return form.Make(Trim(buffer, ref first));
                }

                break;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }

        await reader.CompleteAsync().ConfigureAwait(false);
    }

    /// <summary>Counts the lines <see cref="ReadLinesAsync(string, CancellationToken)"/> yields for <paramref name="path"/>,
    /// without decoding them: a resumed run checks the input against the output it continues.</summary>
    public static async Task<long> CountLinesAsync(string path, CancellationToken ct = default)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return await CountLinesAsync(stream, ct).ConfigureAwait(false);
    }

    /// <summary>Counts the lines of <paramref name="stream"/> (read to its end, not disposed) the way
    /// <see cref="CountLinesAsync(string, CancellationToken)"/> counts a file's.</summary>
    public static async Task<long> CountLinesAsync(Stream stream, CancellationToken ct = default)
    {
        var buffer = new byte[1 << 16];
        long lines = 0, size = 0;
        var last = (byte)'\n';
        int read;
        while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            lines += buffer.AsSpan(0, read).Count((byte)'\n');
            last = buffer[read - 1];
            size += read;
        }

        // The last line needs no newline; a file holding nothing but a byte-order mark has no line.
        return last == (byte)'\n' || (size == 3 && lines == 0 && buffer is [0xEF, 0xBB, 0xBF, ..]) ? lines : lines + 1;
    }

    /// <summary>Lines and bytes of the file consumed so far; read from another thread, the two always of the same moment
    /// (the progress's share is bytes per line: a count of one line and the bytes of the next made it wrong).</summary>
    internal sealed class ReadPosition
    {
        private readonly Lock _lock = new();
        private long _bytes;
        private long _lines;

        /// <summary>The lines read and their bytes, line ends included, as one pair.</summary>
        public (long Lines, long Bytes) Read()
        {
            lock (_lock)
            {
                return (_lines, _bytes);
            }
        }

        /// <summary>One more line, <paramref name="bytes"/> long with its line end, was read.</summary>
        public void Advance(long bytes)
        {
            lock (_lock)
            {
                _bytes += bytes;
                _lines++;
            }
        }
    }

    private static bool TryTakeLine(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> line)
    {
        var end = buffer.PositionOf((byte)'\n');
        if (end is null)
        {
            line = default;
            return false;
        }

        line = buffer.Slice(0, end.Value);
        buffer = buffer.Slice(buffer.GetPosition(1, end.Value));
        return true;
    }

    private static bool IsByteOrderMark(ReadOnlySequence<byte> bytes) => bytes.Length == 3 && bytes.ToArray() is [0xEF, 0xBB, 0xBF];

    private static ReadOnlySequence<byte> Trim(ReadOnlySequence<byte> line, ref bool first)
    {
        if (!line.IsEmpty && line.Slice(line.Length - 1).FirstSpan[0] == (byte)'\r')
        {
            line = line.Slice(0, line.Length - 1);
        }

        if (first)
        {
            first = false;
            if (line.Length >= 3 && line.Slice(0, 3).ToArray() is [0xEF, 0xBB, 0xBF])
            {
                line = line.Slice(3);
            }
        }

        return line;
    }

    /// <summary>What a line's bytes (valid only until the next line is read) are made into.</summary>
    private interface ILineForm<out T>
    {
        T Make(ReadOnlySequence<byte> line);
    }

    /// <summary>Lines as text, invalid UTF-8 replaced.</summary>
    private readonly struct TextLines : ILineForm<string>
    {
        public string Make(ReadOnlySequence<byte> line) => Utf8.GetString(line);
    }

    /// <summary>Lines as <see cref="InputLine"/>s of their bytes, copied into chunks, numbered from the first index.</summary>
    private sealed class LineChunks(long firstIndex) : ILineForm<InputLine>
    {
        private byte[] _chunk = [];
        private int _used;
        private long _next = firstIndex;

        public InputLine Make(ReadOnlySequence<byte> line) => new(_next++, Copy(line));

        private ReadOnlyMemory<byte> Copy(ReadOnlySequence<byte> line)
        {
            var length = (int)line.Length;
            if (length > ChunkSize / 8)
            {
                return line.ToArray();
            }

            if (_chunk.Length - _used < length)
            {
                _chunk = new byte[ChunkSize];
                _used = 0;
            }

            var into = _chunk.AsMemory(_used, length);
            line.CopyTo(into.Span);
            _used += length;
            return into;
        }
    }
}
