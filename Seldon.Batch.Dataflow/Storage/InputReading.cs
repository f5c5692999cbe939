namespace Seldon.Batch.Dataflow;

/// <summary>An input opened for reading: its decoded bytes (only the requested range), and how far through the
/// stored bytes the reading is, for progress.</summary>
internal sealed class InputReading(CountingStream decoded, CountingStream stored, long storedLength) : IAsyncDisposable
{
    /// <summary>The decoded bytes of the range, read once from start to end.</summary>
    public Stream Decoded { get; } = decoded;

    /// <summary>Stored bytes this reading covers (the range for plain input, the whole object for gzip).</summary>
    public long Length { get; } = storedLength;

    /// <summary>Stored bytes consumed so far, including what was read ahead of the lines taken.</summary>
    public long Consumed => stored.BytesRead;

    /// <summary>Reads the stored bytes not read yet to their end, and drops them (so that whatever watches them saw them all).</summary>
    public async Task ReadStoredToEndAsync(CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
        while (await stored.ReadAsync(buffer, ct).ConfigureAwait(false) > 0)
        {
        }
    }

    /// <summary>The stored bytes behind <paramref name="decodedBytes"/> decoded bytes taken from the start of
    /// <see cref="Decoded"/> (the bytes of the lines read): the same count for plain input; for gzip the stored bytes read
    /// so far in the share those bytes are of what was decoded so far. Unlike <see cref="Consumed"/>, it does not count
    /// what was read ahead of the lines.</summary>
    public long StoredBytesOf(long decodedBytes)
    {
        if (ReferenceEquals(decoded, stored))
        {
            return decodedBytes;
        }

        var taken = decoded.BytesRead;
        return taken == 0 ? 0 : (long)(stored.BytesRead * Math.Min(1, (double)decodedBytes / taken));
    }

    public ValueTask DisposeAsync() => Decoded.DisposeAsync();
}
