
namespace Seldon.Batch.Dataflow;

/// <summary>The results of a group of lines' requests that were answered, in line order; not <see cref="Answered"/> when
/// one of them was not (stopped, dropped, or failed about the endpoint): the results are then those of the requests
/// before it. A struct: one is made per request at batch size 1, and it is passed by value into the ordered window's
/// ring and on to the writer.</summary>
internal readonly record struct PredictedGroup(InstanceResult[] Results, bool Answered)
{
    /// <summary>The lines the group carried, answered or not.</summary>
    public int Lines { get; init; }
}
