namespace Seldon.Batch.Dataflow;

/// <summary>The standard input (<c>-i -</c>): read once, as it comes, from its start. Its version has no length (a
/// stream's end is known only once reached). Each opening reads the same stream: a table's description reads its first
/// rows before the run reads them all, so up to <see cref="ReplayLimit"/> bytes read first are kept for the next
/// opening (<paramref name="replayable"/>: a CSV input); anything else read twice fails with a clear message.</summary>
internal sealed class StreamInputSource(StorageLocation location, InputCompression compression, Func<Stream> open, bool replayable)
    : InputSource(location, compression)
{
    /// <summary>Bytes kept for a second opening: a CSV table's description reads its header and first 1,000 rows.</summary>
    internal const int ReplayLimit = 16 << 20;

    private readonly int _limit = replayable ? ReplayLimit : 0;
    private Stream? _live;
    private byte[] _kept = [];
    private int _keptLength;

    /// <summary>Bytes read from the stream so far; equal to <see cref="_keptLength"/> while everything read is kept.</summary>
    private long _liveRead;

    public override Task<InputVersion> DescribeAsync(CancellationToken ct) => Task.FromResult(new InputVersion(long.MaxValue, "stream"));

    protected override Task<Stream> OpenStoredAsync(InputVersion version, long start, CancellationToken ct)
    {
        if (start != 0)
        {
            throw StorageException.Settings($"{Name}: a stream is read from its start, not from byte {start}");
        }

        if (_liveRead > _keptLength)
        {
            throw Twice();
        }

        _live ??= open();
        return Task.FromResult<Stream>(new Reading(this));
    }

    protected override Task<Stream> OpenSeekableStoredAsync(InputVersion version, CancellationToken ct) =>
        throw StorageException.Settings($"{Name}: a Parquet input is read in any order (its footer comes last), which a stream cannot be: give the file's path");

    private static string Name => "the standard input (-)";

    private StorageException Twice() => StorageException.Settings(_limit == 0
        ? $"{Name} is read once, as it comes, and this run would have to read it again: give the input as a file"
        : $"{Name} is read once, as it comes, and only its first {_limit >> 20} MiB are kept to be read again, which the table's first rows (read to learn its columns) exceed: give the input as a file");

    /// <summary>Reads into <paramref name="buffer"/> from <paramref name="position"/>: what was kept, then the stream.</summary>
    private async ValueTask<int> ReadAsync(long position, Memory<byte> buffer, CancellationToken ct)
    {
        if (position < _keptLength)
        {
            var count = (int)Math.Min(buffer.Length, _keptLength - position);
            _kept.AsMemory((int)position, count).CopyTo(buffer);
            return count;
        }

        if (position != _liveRead)
        {
            throw Twice();
        }

        var read = await _live!.ReadAsync(buffer, ct).ConfigureAwait(false);
        Keep(buffer.Span[..read]);
        _liveRead += read;
        return read;
    }

    /// <summary>Keeps what was just read while the whole stream read so far fits the limit.</summary>
    private void Keep(ReadOnlySpan<byte> read)
    {
        if (_liveRead != _keptLength || _keptLength + (long)read.Length > _limit)
        {
            return;
        }

        if (_keptLength + read.Length > _kept.Length)
        {
            Array.Resize(ref _kept, (int)Math.Min(_limit, Math.Max(_kept.Length * 2L, _keptLength + read.Length + (1L << 16))));
        }

        read.CopyTo(_kept.AsSpan(_keptLength));
        _keptLength += read.Length;
    }

    /// <summary>One opening: its own position over the kept bytes and the stream. Read by one reader at a time, as every
    /// input is; disposing it leaves the stream open for the next opening.</summary>
    private sealed class Reading(StreamInputSource source) : ReadOnlyStream
    {
        private long _position;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await source.ReadAsync(_position, buffer, cancellationToken).ConfigureAwait(false);
            _position += read;
            return read;
        }
    }
}
