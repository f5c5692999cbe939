namespace Seldon.Batch.Dataflow;

/// <summary>The Open Inference Protocol behind the codec seam.</summary>
internal sealed class OpenInferenceCodec(OpenInferenceSettings settings) : IBatchCodec
{
    private readonly InferenceRequestEncoder _encoder = new(settings);
    private readonly InferenceResponseSplitter _splitter = new(settings.BatchId);

    public IReadOnlyList<EncodedBatch> Encode(IReadOnlyList<InputLine> lines) => _encoder.Encode(lines);

    public EncodedBatch Unsendable(IReadOnlyList<InputLine> lines, string reason) => _encoder.Unsendable(lines, reason);

    public InstanceResult[] Compose(EncodedBatch batch, string? answer, RequestFailure? failure) => _splitter.Compose(batch, answer, failure);

    public InstanceResult ErrorRecord(BatchMember member, RequestFailure failure) => _splitter.ErrorRecord(member, failure);
}
