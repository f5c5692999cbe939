using System.Globalization;

namespace Seldon.Batch.Dataflow;

/// <summary>An input file; its version is its size and modification time.</summary>
internal sealed class LocalInputSource(StorageLocation location, InputCompression compression) : InputSource(location, compression)
{
    public override Task<InputVersion> DescribeAsync(CancellationToken ct)
    {
        var file = new FileInfo(Location.Path!);
        if (!file.Exists)
        {
            throw StorageException.Settings($"no file at '{Location}'");
        }

        return Task.FromResult(new InputVersion(file.Length, string.Create(CultureInfo.InvariantCulture, $"{file.Length}@{file.LastWriteTimeUtc.Ticks}")));
    }

    protected override Task<Stream> OpenSeekableStoredAsync(InputVersion version, CancellationToken ct)
    {
        var stream = new FileStream(Location.Path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        if (stream.Length != version.Length)
        {
            stream.Dispose();
            throw StorageException.Failure($"{Location} changed since the run began (it was {version.Length} bytes, now {stream.Length}): run again on the new version");
        }

        return Task.FromResult<Stream>(stream);
    }

    protected override Task<Stream> OpenStoredAsync(InputVersion version, long start, CancellationToken ct)
    {
        var stream = new FileStream(Location.Path!, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        stream.Seek(start, SeekOrigin.Begin);
        return Task.FromResult<Stream>(stream);
    }
}
