namespace Seldon.Batch.Dataflow;

/// <summary>A read-only view of a stream that counts the bytes read through it and, given a limit, ends there; given
/// <paramref name="observe"/>, it shows it every byte read, in order (to hash them on the way).</summary>
internal sealed class CountingStream(Stream inner, long limit = long.MaxValue, Action<ReadOnlySpan<byte>>? observe = null) : ReadOnlyStream
{
    private long _read;

    /// <summary>Bytes read so far; read from another thread for progress.</summary>
    public long BytesRead => Interlocked.Read(ref _read);

    public override long Position { get => BytesRead; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var n = inner.Read(buffer[..Allowed(buffer.Length)]);
        observe?.Invoke(buffer[..n]);
        Interlocked.Add(ref _read, n);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var allowed = Allowed(buffer.Length);
        if (allowed == 0)
        {
            return 0;
        }

        var n = await inner.ReadAsync(buffer[..allowed], cancellationToken).ConfigureAwait(false);
        observe?.Invoke(buffer.Span[..n]);
        Interlocked.Add(ref _read, n);
        return n;
    }

    /// <summary>Reads and drops <paramref name="bytes"/> bytes (to reach a range inside a compressed input), neither counted
    /// nor limited; throws when the stream ends first.</summary>
    public async Task SkipAsync(long bytes, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        while (bytes > 0)
        {
            var n = await inner.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, bytes)), ct).ConfigureAwait(false);
            if (n == 0)
            {
                throw new EndOfStreamException($"the input ended {bytes} bytes before the start of its range: it is shorter than when it was planned");
            }

            bytes -= n;
        }
    }

    private int Allowed(int wanted) => (int)Math.Min(wanted, limit - _read);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    public override async ValueTask DisposeAsync()
    {
        await inner.DisposeAsync().ConfigureAwait(false);
        await base.DisposeAsync().ConfigureAwait(false);
    }
}
