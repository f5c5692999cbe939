using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The batch stage, the first of both networks: lines (or the caller's items) grouped into micro-batches of
/// <see cref="PredictionBlockOptions.BatchSize"/>, the last one perhaps short, a few requests' worth waiting. Every later
/// stage carries a group per message, not a line.</summary>
internal static class GroupStage
{
    public static BatchBlock<T> Create<T>(PredictionBlockOptions options, CancellationToken cancellationToken) =>
        new(options.BatchSize, new GroupingDataflowBlockOptions
        {
            BoundedCapacity = options.BatchSize * 4,
            CancellationToken = cancellationToken,
        });
}
