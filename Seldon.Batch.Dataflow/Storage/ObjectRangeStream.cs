using Amazon.S3.Model;

namespace Seldon.Batch.Dataflow;

/// <summary>A read-only, seekable view of one version of an object, read by ranged GETs that each require the ETag the
/// run described (an object replaced mid-run fails the next GET instead of mixing two versions). Parquet needs to seek:
/// it reads the file's head and footer, then jumps to the column chunks it wants. The reader says what it reads next
/// (<see cref="IPrefetchableStream"/>), so a row group's chunks come in one GET, fetched asynchronously, and the
/// reader's many small synchronous reads (page headers byte by byte) are served from memory. Two fetched ranges are
/// kept (the head and the footer are read alternately while a file is opened); a read outside both fetches a small
/// range, or the rest of the announced range.</summary>
internal sealed class ObjectRangeStream : Stream, IPrefetchableStream
{
    /// <summary>What a read outside any announced range fetches at least: a page header or a magic number needs a few
    /// bytes, and one GET of this size serves the next few reads too.</summary>
    internal const int MissReadBytes = 64 << 10;

    private readonly ObjectStore _store;
    private readonly InputVersion _version;
    private readonly int _requestBytes;
    private readonly Region[] _regions = [new(), new()];
    private long _position;
    private long _clock;
    private long _announcedStart;
    private long _announcedEnd;

    /// <param name="store">The store; each GET fetches at most its <see cref="ObjectStore.ReadChunkBytes"/>.</param>
    /// <param name="location">The object.</param>
    /// <param name="version">Its version as the run described it: its length, and the ETag every GET requires.</param>
    public ObjectRangeStream(ObjectStore store, StorageLocation location, InputVersion version)
    {
        _store = store;
        Location = location;
        _version = version;
        _requestBytes = Math.Max(1, store.ReadChunkBytes);
    }

    public StorageLocation Location { get; }

    public override bool CanRead => true;

    public override bool CanSeek => true;

    public override bool CanWrite => false;

    public override long Length => _version.Length;

    public override long Position
    {
        get => _position;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override string ToString() => Location.ToString();

    public override long Seek(long offset, SeekOrigin origin)
    {
        Position = origin switch
        {
            SeekOrigin.Begin => offset,
            SeekOrigin.Current => _position + offset,
            SeekOrigin.End => Length + offset,
            _ => throw new ArgumentOutOfRangeException(nameof(origin)),
        };
        return _position;
    }

    public async ValueTask PrefetchAsync(long start, long end, CancellationToken ct)
    {
        start = Math.Clamp(start, 0, Length);
        end = Math.Clamp(end, start, Length);
        _announcedStart = start;
        _announcedEnd = end;
        var fetchEnd = Math.Min(end, start + _requestBytes);
        if (start == fetchEnd || Find(start) is { } whole && whole.End >= fetchEnd)
        {
            return;
        }

        // A range that begins inside ones already held (the head's, the footer's, the previous row group's) fetches only
        // the rest; the part held is copied into the new range, so the range is whole in one place and the fetch cannot
        // evict what it relies on.
        var from = start;
        for (var held = Find(from); held is not null && from < fetchEnd; held = Find(from))
        {
            from = Math.Min(held.End, fetchEnd);
        }

        await FetchAsync(start, fetchEnd, from, ct).ConfigureAwait(false);
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        if (buffer.IsEmpty || _position >= Length)
        {
            return 0;
        }

        if (Find(_position) is null)
        {
            // Parquet.Net reads pages synchronously: a read nothing announced blocks on its GET.
            var (start, end) = MissRange(buffer.Length);
            FetchAsync(start, end, start, CancellationToken.None).AsTask().GetAwaiter().GetResult();
        }

        return CopyFrom(Find(_position)!, buffer);
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty || _position >= Length)
        {
            return 0;
        }

        if (Find(_position) is null)
        {
            var (start, end) = MissRange(buffer.Length);
            await FetchAsync(start, end, start, cancellationToken).ConfigureAwait(false);
        }

        return CopyFrom(Find(_position)!, buffer.Span);
    }

    public override int ReadByte()
    {
        Span<byte> one = stackalloc byte[1];
        return Read(one) == 1 ? one[0] : -1;
    }

    /// <summary>The range a read of <paramref name="count"/> bytes at the position fetches when nothing holds it: within
    /// an announced range, the rest of it (up to one request); elsewhere what the read asks for, and at least
    /// <see cref="MissReadBytes"/>.</summary>
    private (long Start, long End) MissRange(int count)
    {
        var start = _position;
        var end = start >= _announcedStart && start < _announcedEnd
            ? Math.Max(_announcedEnd, start + count)
            : start + Math.Max(count, MissReadBytes);
        return (start, Math.Min(Length, Math.Min(end, start + _requestBytes)));
    }

    private int CopyFrom(Region region, Span<byte> buffer)
    {
        region.LastUse = ++_clock;
        var from = (int)(_position - region.Start);
        var n = (int)Math.Min(buffer.Length, region.Length - from);
        region.Bytes.AsSpan(from, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    private Region? Find(long position)
    {
        foreach (var region in _regions)
        {
            if (region.Length > 0 && position >= region.Start && position < region.End)
            {
                return region;
            }
        }

        return null;
    }

    /// <summary>Makes <c>[start, end)</c> a held range, in place of the one held longest unused: its bytes up to
    /// <paramref name="from"/> copied from the ranges that hold them, the rest fetched by one GET.</summary>
    private async ValueTask FetchAsync(long start, long end, long from, CancellationToken ct)
    {
        var region = _regions[0].LastUse <= _regions[1].LastUse ? _regions[0] : _regions[1];
        var length = checked((int)(end - start));
        var bytes = region.Bytes.Length >= length && from == start ? region.Bytes : new byte[length];
        for (var at = start; at < from;)
        {
            var held = Find(at)!;
            var n = (int)(Math.Min(held.End, from) - at);
            held.Bytes.AsSpan((int)(at - held.Start), n).CopyTo(bytes.AsSpan((int)(at - start)));
            at += n;
        }

        // Empty until filled: a failed GET leaves nothing half read behind.
        region.Length = 0;
        region.Bytes = bytes;
        if (from < end)
        {
            await GetAsync(from, bytes.AsMemory((int)(from - start), (int)(end - from)), ct).ConfigureAwait(false);
        }

        region.Start = start;
        region.Length = length;
        region.LastUse = ++_clock;
    }

    /// <summary>One ranged GET of the object's bytes from <paramref name="from"/> into <paramref name="into"/>, required
    /// to be of the version the run described.</summary>
    private async Task GetAsync(long from, Memory<byte> into, CancellationToken ct)
    {
        try
        {
            using var response = await _store.Client.GetObjectAsync(
                new GetObjectRequest { BucketName = Location.Bucket, Key = Location.Key, ByteRange = new ByteRange(from, from + into.Length - 1), EtagToMatch = _version.Tag },
                ct).ConfigureAwait(false);
            var read = await response.ResponseStream.ReadAtLeastAsync(into, into.Length, throwOnEndOfStream: false, ct).ConfigureAwait(false);
            if (read < into.Length)
            {
                throw StorageException.Failure($"{Location}: the connection ended at byte {from + read}, before the end of the range it asked for");
            }
        }
        catch (Exception ex) when (ObjectStore.IsPreconditionFailed(ex))
        {
            throw StorageException.Failure(
                $"{Location} changed while it was read (its ETag is no longer {_version.Tag}): the output would mix two versions of the input; run again on the new version", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not StorageException)
        {
            throw ObjectStore.Explain(ex, Location, "reading the input");
        }
    }

    public override void Flush()
    {
    }

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var region in _regions)
            {
                region.Bytes = [];
                region.Length = 0;
            }
        }

        base.Dispose(disposing);
    }

    /// <summary>A fetched range: <see cref="Length"/> bytes of the object from <see cref="Start"/>.</summary>
    private sealed class Region
    {
        public byte[] Bytes { get; set; } = [];

        public long Start { get; set; }

        public int Length { get; set; }

        public long End => Start + Length;

        public long LastUse { get; set; }
    }
}
