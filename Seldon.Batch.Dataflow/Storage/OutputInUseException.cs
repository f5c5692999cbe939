namespace Seldon.Batch.Dataflow;

/// <summary>Another run is writing the output (or the shard's part) this run was given: it holds the output's lock
/// (a local file) or lease (an <c>s3://</c> object). This run touched nothing and sent nothing; wait for the other one
/// to end, or give this run another output. The message names the other run (host, process id, since when, and its
/// batch id when it was known).</summary>
public sealed class OutputInUseException : IOException
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public OutputInUseException(string message)
        : base(message)
    {
        Output = "";
    }

    internal OutputInUseException(StorageLocation output, LockHolder? holder, string? unknownHolder = null)
        : base(MessageFor(output, holder, unknownHolder))
    {
        Output = output.ToString();
        HolderHost = holder?.Host;
        HolderProcessId = holder?.ProcessId;
        HolderSince = holder?.Since;
        HolderBatchId = holder?.BatchId;
    }

    /// <summary>The output (file path or <c>s3://</c> URL; a shard's part) that is in use.</summary>
    public string Output { get; }

    /// <summary>The machine (in Kubernetes: the pod) the other run is on; null when it could not be read.</summary>
    public string? HolderHost { get; }

    /// <summary>The other run's process id on <see cref="HolderHost"/>; null when it could not be read.</summary>
    public int? HolderProcessId { get; }

    /// <summary>Since when the other run holds the output; null when it could not be read.</summary>
    public DateTimeOffset? HolderSince { get; }

    /// <summary>The other run's <c>batch_id</c>, when it was known as it took the output.</summary>
    public string? HolderBatchId { get; }

    private static string MessageFor(StorageLocation output, LockHolder? holder, string? unknownHolder)
    {
        var who = holder is null
            ? $"another run ({unknownHolder ?? "who it is could not be read"})"
            : $"another run ({holder.Describe()}{(holder.Expires is { } until ? $", its lease runs until {LockHolder.Format(until)} unless renewed" : "")})";
        return $"{output} is being written by {who}; wait for it to end, or give this run another output path";
    }
}
