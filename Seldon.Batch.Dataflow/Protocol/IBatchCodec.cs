namespace Seldon.Batch.Dataflow;

/// <summary>The seam between the pipeline and a protocol: lines into requests, an answer back into one output
/// line per input line, and error records in the protocol's shape. The pipeline knows only this.</summary>
internal interface IBatchCodec
{
    /// <summary>Encodes a group of lines into one request or more, members in input order across them. A line that
    /// cannot be encoded is a member with an <see cref="BatchMember.EncodingError"/>; the rest are still sent.</summary>
    IReadOnlyList<EncodedBatch> Encode(IReadOnlyList<InputLine> lines);

    /// <summary>A group none of whose lines can be sent, each with <paramref name="reason"/>.</summary>
    EncodedBatch Unsendable(IReadOnlyList<InputLine> lines, string reason);

    /// <summary>One result per member of <paramref name="batch"/>, in member order.</summary>
    /// <param name="batch">The encoded request.</param>
    /// <param name="answer">The model's answer body (its UTF-8 bytes as the transport read them), when it answered with success.</param>
    /// <param name="failure">Why the request failed, as its lines' error records say it; null when it succeeded.</param>
    InstanceResult[] Compose(EncodedBatch batch, AnswerBody answer, RequestFailure? failure);

    /// <summary>The error record of one member.</summary>
    InstanceResult ErrorRecord(BatchMember member, RequestFailure failure);
}
