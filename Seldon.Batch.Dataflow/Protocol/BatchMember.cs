using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>One instance of a micro-batch: where it came from, how many rows it put into the request,
/// and, when it could not be encoded, why.</summary>
internal sealed class BatchMember
{
    private string? _instanceId;

    public BatchMember(long index, string instanceId)
    {
        Index = index;
        _instanceId = instanceId;
    }

    /// <summary>Line <paramref name="item"/> of a merged request: its instance id is <c>&lt;requestId&gt;-item-&lt;item&gt;</c>,
    /// made only when read (the split writes it from its parts into most lines).</summary>
    public BatchMember(long index, string requestId, int item)
    {
        Index = index;
        RequestId = requestId;
        Item = item;
    }

    public long Index { get; }

    // Made at most once; two threads that make it at once make equal strings.
    public string InstanceId => _instanceId ??= $"{RequestId}-item-{Item}";

    /// <summary>The instance id as a template writes it: the request id and <see cref="Item"/>, or the whole id and -1.</summary>
    public (string Id, int Item) TemplateId => RequestId is { } requestId ? (requestId, Item) : (InstanceId, -1);

    /// <summary>The request id the instance id is made of; null when the member was given its whole id.</summary>
    public string? RequestId { get; }

    /// <summary>The line's place in its request, when <see cref="RequestId"/> is set.</summary>
    public int Item { get; }

    /// <summary>Tags the user wrote in a raw line; merged into the output under the model's own tags.</summary>
    public JsonObject? UserTags { get; set; }

    /// <summary>Rows this instance contributed to the request (micro-batches are split back by these counts).</summary>
    public int Rows { get; set; }

    /// <summary>Why the line could not be sent; null when it is part of the request.</summary>
    public string? EncodingError { get; set; }

    /// <summary>What <see cref="EncodingError"/> is about: a line the encoder judged invalid, unless the block could not
    /// encode the lines at all (<see cref="LineFailureKind.NotSent"/>).</summary>
    public LineFailureKind EncodingErrorKind { get; init; } = LineFailureKind.InvalidLine;

    public bool IsSent => EncodingError is null;

    /// <summary>What the error record of a line that was not sent says.</summary>
    public RequestFailure Unsent => new(EncodingErrorKind, RequestFailure.UnsentCode, EncodingError ?? "");

    /// <summary>Open Inference: the line's own request <c>id</c>, kept in its output line; null when it has none.</summary>
    public string? LineId { get; set; }

    /// <summary>Open Inference: the <c>id</c> of the request the line was sent in; null when it was not sent.</summary>
    public string? InferenceId { get; set; }
}
