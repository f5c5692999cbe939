namespace Seldon.Batch.Dataflow.Storage;

/// <summary>An input opened for reading: its decoded bytes (only the requested range), and how far through the
/// stored bytes the reading is, for progress.</summary>
internal sealed class InputReading(Stream decoded, CountingStream stored, long storedLength) : IAsyncDisposable
{
    /// <summary>The decoded bytes of the range, read once from start to end.</summary>
    public Stream Decoded { get; } = decoded;

    /// <summary>Stored bytes this reading covers (the range for plain input, the whole object for gzip).</summary>
    public long Length { get; } = storedLength;

    /// <summary>Stored bytes consumed so far.</summary>
    public long Consumed => stored.BytesRead;

    /// <summary>Reads the stored bytes not read yet to their end, and drops them (so that whatever watches them saw them all).</summary>
    public async Task ReadStoredToEndAsync(CancellationToken ct)
    {
        var buffer = new byte[1 << 20];
        while (await stored.ReadAsync(buffer, ct).ConfigureAwait(false) > 0)
        {
        }
    }

    public ValueTask DisposeAsync() => Decoded.DisposeAsync();
}
