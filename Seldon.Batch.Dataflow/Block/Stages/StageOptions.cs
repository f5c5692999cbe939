using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The Dataflow settings the stages share: each keeps input order (<c>EnsureOrdered</c>) and holds a bounded
/// number of messages, so memory depends on the workers and the batch size, never on the input's length.</summary>
internal static class StageOptions
{
    /// <summary>Links that pass completion (and faults) on to the next stage.</summary>
    public static DataflowLinkOptions Propagate { get; } = new() { PropagateCompletion = true };

    /// <summary>One message at a time.</summary>
    public static ExecutionDataflowBlockOptions Sequential(int capacity, CancellationToken cancellationToken) => new()
    {
        BoundedCapacity = capacity,
        MaxDegreeOfParallelism = 1,
        EnsureOrdered = true,
        CancellationToken = cancellationToken,
    };

    /// <summary><paramref name="parallelism"/> messages at a time, released in input order.</summary>
    public static ExecutionDataflowBlockOptions Parallel(int parallelism, int capacity, CancellationToken cancellationToken) => new()
    {
        BoundedCapacity = Math.Max(capacity, parallelism),
        MaxDegreeOfParallelism = parallelism,
        EnsureOrdered = true,
        SingleProducerConstrained = true,
        CancellationToken = cancellationToken,
    };
}
