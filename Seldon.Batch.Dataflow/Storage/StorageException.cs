namespace Seldon.Batch.Dataflow.Storage;

/// <summary>An input or output that cannot be used, with a message fit for the user: a malformed URL, a missing
/// bucket or object, an input that changed under the run, a part another run already published.</summary>
internal sealed class StorageException : IOException
{
    private StorageException(string message, bool isSettingsProblem, Exception? inner)
        : base(message, inner) => IsSettingsProblem = isSettingsProblem;

    /// <summary>True when the settings are wrong (the same command will fail again): exit code 2, not 1.</summary>
    public bool IsSettingsProblem { get; }

    public static StorageException Settings(string message, Exception? inner = null) => new(message, true, inner);

    public static StorageException Failure(string message, Exception? inner = null) => new(message, false, inner);
}
