namespace Seldon.Batch.Dataflow;

/// <summary>An output file, written to <c>&lt;output&gt;.partial</c> and renamed when complete.</summary>
internal sealed class LocalOutputTarget(StorageLocation location) : OutputTarget(location)
{
    public string SidePath { get; } = SidePathOf(location.Path!);

    /// <summary>Where the output file <paramref name="outputPath"/> is written while the run is not complete.</summary>
    public static string SidePathOf(string outputPath) => outputPath + ".partial";

    public override string PartialName => SidePath;

    public override Task CheckAsync(CancellationToken ct) => Task.CompletedTask;

    public override bool PartialHoldsNothing => !File.Exists(SidePath) || LengthOf(SidePath) == 0;

    public override Task<bool> ExistsAsync(CancellationToken ct) => Task.FromResult(File.Exists(Location.Path));

    public override Task<bool> HasPartialAsync(CancellationToken ct) => Task.FromResult(File.Exists(SidePath));

    public override async Task<long?> DiscardPartialAsync(Func<Stream, CancellationToken, Task<long>>? countLines, CancellationToken ct)
    {
        if (!File.Exists(SidePath))
        {
            return null;
        }

        long lines = 0;
        if (countLines is not null)
        {
            await using var side = OpenSideForReading(1, FileShare.ReadWrite);
            lines = await countLines(side, ct).ConfigureAwait(false);
        }

        File.Delete(SidePath);
        return lines;
    }

    public override async Task<WrittenPrefix> ResumeAsync(Func<Stream, CancellationToken, Task<WrittenPrefix>> inspect, CancellationToken ct)
    {
        // Only read here: a resume that is then refused leaves the side file as it was; OpenAsync cuts it.
        await using var side = OpenSideForReading(1 << 16, FileShare.Read);
        return await inspect(side, ct).ConfigureAwait(false);
    }

    /// <summary>The side file's bytes as long as it is now: what a stopped run left. Reading stops there, so a side
    /// file that is not a regular file (a link to a device) cannot be read without end.</summary>
    private CountingStream OpenSideForReading(int bufferSize, FileShare share) => new(
        new FileStream(SidePath, FileMode.Open, FileAccess.Read, share, bufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan),
        LengthOf(SidePath));

    /// <summary>The length of the file at <paramref name="path"/>, or of the file a link there leads to.</summary>
    private static long LengthOf(string path)
    {
        var file = new FileInfo(path);
        return file.LinkTarget is null ? file.Length : file.ResolveLinkTarget(returnFinalTarget: true) is FileInfo { Exists: true } target ? target.Length : 0;
    }

    public override Task<Stream> OpenAsync(
        WrittenPrefix start, string batchId, Func<ReadOnlyMemory<byte>, IReadOnlyDictionary<string, long>>? failuresIn, CancellationToken ct)
    {
        if (start.Lines == 0)
        {
            return Task.FromResult<Stream>(new FileStream(SidePath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous));
        }

        // A line torn by a crash (or anything after the valid prefix) is cut off; the new lines follow the prefix.
        var side = new FileStream(SidePath, FileMode.Open, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        side.SetLength(start.Bytes);
        side.Seek(0, SeekOrigin.End);
        return Task.FromResult<Stream>(side);
    }

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
