using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>One instance of a micro-batch: where it came from, how many rows it put into the request,
/// and, when it could not be encoded, why.</summary>
internal sealed class BatchMember
{
    public BatchMember(long index, string instanceId)
    {
        Index = index;
        InstanceId = instanceId;
    }

    public long Index { get; }

    public string InstanceId { get; }

    /// <summary>Tags the user wrote in a raw line; merged into the output under the model's own tags.</summary>
    public JsonObject? UserTags { get; set; }

    /// <summary>Rows this instance contributed to the request (micro-batches are split back by these counts).</summary>
    public int Rows { get; set; }

    /// <summary>Why the line could not be sent; null when it is part of the request.</summary>
    public string? EncodingError { get; set; }

    public bool IsSent => EncodingError is null;

    /// <summary>Open Inference: the line's own request <c>id</c>, kept in its output line; null when it has none.</summary>
    public string? LineId { get; set; }

    /// <summary>Open Inference: the <c>id</c> of the request the line was sent in; null when it was not sent.</summary>
    public string? InferenceId { get; set; }
}
