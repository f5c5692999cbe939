namespace Seldon.Batch.Dataflow.Storage;

/// <summary>An output file, written to <c>&lt;output&gt;.partial</c> and renamed when complete.</summary>
internal sealed class LocalOutputTarget(StorageLocation location) : OutputTarget(location)
{
    public string SidePath { get; } = location.Path + ".partial";

    public override string PartialName => SidePath;

    public override Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public override Task<bool> ExistsAsync(CancellationToken ct) => Task.FromResult(File.Exists(Location.Path));

    public override Task<bool> HasPartialAsync(CancellationToken ct) => Task.FromResult(File.Exists(SidePath));

    public override Task DiscardPartialAsync(CancellationToken ct)
    {
        File.Delete(SidePath);
        return Task.CompletedTask;
    }

    public override async Task<WrittenPrefix> ResumeAsync(Func<Stream, CancellationToken, Task<WrittenPrefix>> inspect, CancellationToken ct)
    {
        await using var side = new FileStream(SidePath, FileMode.Open, FileAccess.ReadWrite, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        var prefix = await inspect(side, ct).ConfigureAwait(false);
        if (side.Length > prefix.Bytes)
        {
            side.SetLength(prefix.Bytes);
        }

        return prefix;
    }

    public override Task<Stream> OpenAsync(WrittenPrefix start, string batchId, string inputTag, CancellationToken ct) =>
        Task.FromResult<Stream>(new FileStream(
            SidePath, start.Lines > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous));

    public override Task PublishAsync(bool exclusive, CancellationToken ct)
    {
        try
        {
            // Without overwrite the move fails when the target exists, atomically: one of two racing runs wins.
            File.Move(SidePath, Location.Path!, overwrite: !exclusive);
        }
        catch (IOException ex) when (exclusive && File.Exists(Location.Path))
        {
            throw StorageException.Failure($"{Location} was already published by another run: this run's lines stay in {SidePath}", ex);
        }

        return Task.CompletedTask;
    }
}
