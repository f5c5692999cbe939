using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The batch stage, the first of both networks: lines (or the caller's items) grouped into micro-batches of
/// <see cref="PredictionBlockOptions.BatchSize"/>, the last one perhaps short, a few requests' worth waiting. Every later
/// stage carries a group per message, not a line.</summary>
internal static class GroupStage
{
    /// <summary>The stage, holding <paramref name="capacity"/> lines at most (four requests' worth when not given).</summary>
    public static BatchBlock<T> Create<T>(PredictionBlockOptions options, CancellationToken cancellationToken, int? capacity = null) =>
        new(options.BatchSize, new GroupingDataflowBlockOptions
        {
            BoundedCapacity = capacity ?? options.BatchSize * 4,
            CancellationToken = cancellationToken,
        });
}
