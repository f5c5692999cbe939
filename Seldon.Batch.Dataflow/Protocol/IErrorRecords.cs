namespace Seldon.Batch.Dataflow;

/// <summary>A protocol's error record of a line (<see cref="OutputComposer"/>, <see cref="InferenceResponseSplitter"/>), for
/// the loops over a request's members that the two share (<see cref="MemberLines"/>).</summary>
internal interface IErrorRecords
{
    /// <summary>The error record of <paramref name="member"/>, which failed for <paramref name="failure"/>.</summary>
    InstanceResult ErrorRecord(BatchMember member, RequestFailure failure);
}
