using System.Net.Sockets;
using Amazon.Runtime;

namespace Seldon.Batch.Dataflow;

/// <summary>An input or output that cannot be used, with a message fit for the user that names the path or object and
/// the cause: a malformed URL, a missing bucket or object, an input that changed under the run, a part another run
/// already published, a full disk, a store that cannot be reached.</summary>
internal sealed class StorageException : IOException
{
    // errno values of Linux (.NET reports an IOException's errno as its HResult there), and Windows' HRESULTs of the same.
    private const int NoSpace = 28;
    private const int QuotaExceeded = 122;
    private const int ReadOnlyFileSystem = 30;
    private const int NotADirectory = 20;
    private const int IsADirectory = 21;
    private const int WindowsDiskFull = unchecked((int)0x80070070);
    private const int WindowsHandleDiskFull = unchecked((int)0x80070027);

    /// <summary>How a message names the setting of an object store's endpoint, for a front end to word
    /// (see <c>SettingNames</c>).</summary>
    internal const string EndpointSetting = "BatchOptions.S3Endpoint";

    private StorageException(string message, bool isSettingsProblem, Exception? inner)
        : base(message, inner) => IsSettingsProblem = isSettingsProblem;

    /// <summary>True when the settings are wrong (the same command will fail again: exit code 2); false when the store
    /// failed (a full disk, a store that cannot be reached: exit code 3, the partial output kept).</summary>
    public bool IsSettingsProblem { get; }

    public static StorageException Settings(string message, Exception? inner = null) => new(message, true, inner);

    public static StorageException Failure(string message, Exception? inner = null) => new(message, false, inner);

    /// <summary>The failure of storage that <paramref name="error"/> is, or null when it is none (a defect, a cancellation):
    /// a <see cref="StorageException"/> as it is; a file system's failure by its cause (no permission, a read-only file
    /// system, a path through a file: settings; a full disk or another input/output error: a failure); an object store's
    /// as <see cref="ObjectStore.Explain"/> tells it. The .NET message of a file system failure names its path.</summary>
    public static StorageException? From(Exception error) => error switch
    {
        StorageException storage => storage,
        // Another run holds the output: not a failure of the store, and nothing of the other run's may be cleaned up.
        OutputInUseException => null,
        UnauthorizedAccessException denied => Settings($"{denied.Message.TrimEnd('.')} (no permission to write or read there)", denied),
        PathTooLongException or DirectoryNotFoundException or FileNotFoundException => Settings(error.Message, error),
        IOException io when io.HResult is NoSpace or QuotaExceeded or WindowsDiskFull or WindowsHandleDiskFull =>
            Failure($"{io.Message.TrimEnd('.')} (the disk is full: free space on it)", io),
        IOException io when io.HResult is ReadOnlyFileSystem or NotADirectory or IsADirectory => Settings(io.Message, io),
        IOException io => Failure(io.Message, io),
        AmazonClientException or HttpRequestException or SocketException => ObjectStore.Explain(error, null, "a request to the object store"),
        _ => null,
    };
}
