using System.IO.Compression;

namespace Seldon.Batch.Dataflow;

/// <summary>The input of a run: a local file or an object, plain or gzip, read as a stream (never loaded whole),
/// optionally only a byte range of its decoded content (a shard).</summary>
internal abstract class InputSource
{
    protected InputSource(StorageLocation location, InputCompression compression)
    {
        Location = location;
        IsGzip = compression == InputCompression.Gzip
            || (compression == InputCompression.Auto && location.ToString().EndsWith(".gz", StringComparison.OrdinalIgnoreCase));
    }

    public StorageLocation Location { get; }

    /// <summary>Whether the stored bytes are gzip, decoded while read.</summary>
    public bool IsGzip { get; }

    /// <summary>The input at <paramref name="location"/>; <c>-</c> is <paramref name="streams"/>' input (by default the
    /// process's), whose first bytes are kept for a second opening when <paramref name="replayable"/> (a CSV table's).</summary>
    public static InputSource Create(StorageLocation location, InputCompression compression, ObjectStore store, StandardStreams? streams = null, bool replayable = false) =>
        location.IsStream ? new StreamInputSource(location, compression, (streams ?? StandardStreams.Process).OpenInput, replayable)
        : location.IsObject ? new S3InputSource(location, compression, store) : new LocalInputSource(location, compression);

    /// <summary>The version read now; throws a settings <see cref="StorageException"/> when the input does not exist.</summary>
    public abstract Task<InputVersion> DescribeAsync(CancellationToken ct);

    /// <summary>Opens the stored bytes from <paramref name="start"/> to the end; reading fails when the input is no
    /// longer <paramref name="version"/>, where the store can tell.</summary>
    protected abstract Task<Stream> OpenStoredAsync(InputVersion version, long start, CancellationToken ct);

    /// <summary>Opens the stored bytes of <paramref name="version"/> for reading in any order, as a Parquet reader needs:
    /// a file as it is, an object by ranged GETs that each require the version's ETag. A gzip input cannot be read so
    /// (a settings <see cref="StorageException"/>): Parquet compresses inside the file.</summary>
    public Task<Stream> OpenSeekableAsync(InputVersion version, CancellationToken ct)
    {
        if (IsGzip)
        {
            throw StorageException.Settings($"{Location}: a Parquet input cannot be gzip (Parquet compresses inside the file): give the .parquet file");
        }

        return OpenSeekableStoredAsync(version, ct);
    }

    /// <summary>Opens the stored bytes of <paramref name="version"/>, seekable.</summary>
    protected abstract Task<Stream> OpenSeekableStoredAsync(InputVersion version, CancellationToken ct);

    /// <summary>Opens the decoded bytes <c>[start, end)</c> of <paramref name="version"/> (<paramref name="end"/> null: to the end).</summary>
    public Task<InputReading> OpenAsync(InputVersion version, long start = 0, long? end = null, CancellationToken ct = default) =>
        OpenAsync(version, start, end, observeStored: null, ct);

    /// <summary>The same, <paramref name="observeStored"/>, when given, shown every stored byte read, in order (the input's hash).</summary>
    public async Task<InputReading> OpenAsync(
        InputVersion version, long start, long? end, Action<ReadOnlySpan<byte>>? observeStored, CancellationToken ct)
    {
        if (!IsGzip)
        {
            var stored = new CountingStream(await OpenStoredAsync(version, start, ct).ConfigureAwait(false), (end ?? version.Length) - start, observeStored);
            return new InputReading(stored, stored, (end ?? version.Length) - start);
        }

        // A gzip stream cannot be entered in the middle: a shard decodes from the start and drops what precedes its range.
        var compressed = new CountingStream(await OpenStoredAsync(version, 0, ct).ConfigureAwait(false), observe: observeStored);
        var decoded = new CountingStream(new GZipStream(compressed, CompressionMode.Decompress), end is null ? long.MaxValue : end.Value - start);
        try
        {
            await decoded.SkipAsync(start, ct).ConfigureAwait(false);
        }
        catch
        {
            await decoded.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new InputReading(decoded, compressed, version.Length);
    }
}
