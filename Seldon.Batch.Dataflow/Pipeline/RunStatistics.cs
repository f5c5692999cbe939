namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>Counters shared by the stages of a running network; thread-safe.</summary>
public sealed class RunStatistics
{
    private long _instances;
    private long _succeeded;
    private long _failed;
    private long _retries;
    private long _requests;

    /// <summary>Output lines produced so far.</summary>
    public long Instances => Interlocked.Read(ref _instances);

    /// <summary>Lines answered by the model so far.</summary>
    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>Error records so far.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Retries so far.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Requests sent so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    internal void AddRequest(int retries)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _retries, retries);
    }

    internal void AddResult(bool succeeded)
    {
        Interlocked.Increment(ref _instances);
        Interlocked.Increment(ref succeeded ? ref _succeeded : ref _failed);
    }

    /// <summary>A summary of the counters now.</summary>
    public RunSummary ToSummary(TimeSpan elapsed, string? outputPath = null) => new()
    {
        Instances = Instances,
        Succeeded = Succeeded,
        Failed = Failed,
        Retries = Retries,
        Requests = Requests,
        Elapsed = elapsed,
        OutputPath = outputPath,
    };
}
