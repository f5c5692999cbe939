using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>An output file held by an OS lock on <c>&lt;output&gt;.lock</c>: the file opened with
/// <see cref="FileShare.None"/>, which .NET takes on Unix as <c>flock(LOCK_EX | LOCK_NB)</c> and on Windows as a sharing
/// mode. The kernel drops it when the process dies, so a <c>kill -9</c> leaves no stale lock: the file stays behind,
/// and only the lock counts.</summary>
/// <remarks>While the lock is held no other process can open the file, not even to read it (.NET takes a shared lock
/// for every open), so the holder's details are also written to <c>&lt;output&gt;.lock.json</c>, after the lock is
/// taken. A refused run believes that file only when it was written after the lock file's last change (its details,
/// written by the holder as it takes the lock): a file left by a killed holder names a dead run.</remarks>
internal sealed class LocalOutputLock : OutputLock
{
    /// <summary>How long a refused run waits for the holder to write its details (it does so right after taking the
    /// lock) or to let go of the lock (it ends): a holder that does neither is named without details.</summary>
    private static readonly TimeSpan HolderWait = TimeSpan.FromSeconds(2);

    private readonly FileStream _lock;
    private readonly string _holderPath;

    private LocalOutputLock(StorageLocation output, FileStream held, string holderPath)
        : base(output)
    {
        _lock = held;
        _holderPath = holderPath;
    }

    /// <summary>The file whose OS lock holds <paramref name="outputPath"/>.</summary>
    public static string LockPathOf(string outputPath) => outputPath + ".lock";

    /// <summary>Where the holder of <paramref name="outputPath"/> writes who it is.</summary>
    public static string HolderPathOf(string outputPath) => outputPath + ".lock.json";

    public static async Task<LocalOutputLock> AcquireAsync(StorageLocation output, LockHolder me, bool makeFolder, ILogger logger, CancellationToken ct)
    {
        var lockPath = LockPathOf(output.Path!);
        var holderPath = HolderPathOf(output.Path!);
        var folder = Path.GetDirectoryName(Path.GetFullPath(lockPath))!;
        try
        {
            if (makeFolder)
            {
                Directory.CreateDirectory(folder);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StorageException.Settings($"{output}: cannot make the folder '{folder}': {ex.Message}", ex);
        }

        if (!Directory.Exists(folder))
        {
            throw StorageException.Settings($"{output}: the folder '{folder}' does not exist");
        }

        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            if (TryLock(lockPath) is { } held)
            {
                return Announce(output, held, holderPath, me, lockPath, logger);
            }

            if (ReadHolder(lockPath, holderPath) is { } holder)
            {
                throw new OutputInUseException(output, holder);
            }

            if (waited.Elapsed > HolderWait)
            {
                throw new OutputInUseException(output, null, $"it holds the lock on {lockPath}; who it is could not be read from {holderPath}");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(20), ct).ConfigureAwait(false);
        }
    }

    /// <summary>The lock file opened exclusively, or null when another holder has it.</summary>
    private static FileStream? TryLock(string lockPath)
    {
        try
        {
            return new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
        }
        catch (IOException ex) when (IsHeldByAnother(ex))
        {
            return null;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw StorageException.Settings($"cannot open the lock file {lockPath}: {ex.Message}", ex);
        }
    }

    /// <summary>Whether opening failed because another open file holds the lock: EWOULDBLOCK from <c>flock</c> (11 on
    /// Linux, 35 on macOS), or a sharing or lock violation on Windows.</summary>
    private static bool IsHeldByAnother(IOException ex) =>
        ex.GetType() == typeof(IOException) && ex.HResult is 11 or 35 or unchecked((int)0x80070020) or unchecked((int)0x80070021);

    private static LocalOutputLock Announce(StorageLocation output, FileStream held, string holderPath, LockHolder me, string lockPath, ILogger logger)
    {
        try
        {
            var details = me.ToJson();
            // The lock file's change time marks the start of this hold: a holder file older than it is a dead run's.
            held.SetLength(0);
            held.Write(details);
            held.Flush();
            var temporary = $"{holderPath}.{me.LeaseId}.tmp";
            File.WriteAllBytes(temporary, details);
            File.Move(temporary, holderPath, overwrite: true);
        }
        catch
        {
            held.Dispose();
            throw;
        }

        WarnWithoutLocks(lockPath, logger);
        return new LocalOutputLock(output, held, holderPath);
    }

    /// <summary>A second open of the lock file must fail while this process holds it; where it does not (a file system
    /// without locks, or <c>DOTNET_SYSTEM_IO_DISABLEFILELOCKING</c>), nothing keeps a second run out, and the user is told.</summary>
    private static void WarnWithoutLocks(string lockPath, ILogger logger)
    {
        using var again = TryLock(lockPath);
        if (again is not null)
        {
            logger.LogWarning(
                "File locks do not work for {Lock} (a file system without them, or DOTNET_SYSTEM_IO_DISABLEFILELOCKING): nothing stops a second run from writing the same output",
                lockPath);
        }
    }

    /// <summary>The holder's details, when its file was written after the lock file last changed; null otherwise
    /// (none yet, or a dead run's).</summary>
    private static LockHolder? ReadHolder(string lockPath, string holderPath)
    {
        try
        {
            var holder = new FileInfo(holderPath);
            if (!holder.Exists || holder.LastWriteTimeUtc < File.GetLastWriteTimeUtc(lockPath))
            {
                return null;
            }

            return LockHolder.Parse(File.ReadAllBytes(holderPath));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Replaced or removed while being read: the next look sees it.
            return null;
        }
    }

    public override ValueTask DisposeAsync()
    {
        // The details first, while the lock still keeps others out; the lock file stays (deleting it would let a run
        // that opened it a moment before lock a file no one else sees), emptied, so that it names no one.
        try
        {
            File.Delete(_holderPath);
            _lock.SetLength(0);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Only tidying: the lock is released below all the same.
        }

        _lock.Dispose();
        return ValueTask.CompletedTask;
    }
}
