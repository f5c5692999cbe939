namespace Seldon.Batch.Dataflow;

/// <summary>The Open Inference Protocol behind the codec seam.</summary>
internal sealed class OpenInferenceCodec(OpenInferenceSettings settings) : IBatchCodec
{
    private readonly InferenceRequestEncoder _encoder = new(settings);
    private readonly InferenceResponseSplitter _splitter = new(settings.BatchId);

    public IReadOnlyList<EncodedBatch> Encode(IReadOnlyList<InputLine> lines) => _encoder.Encode(lines);

    public EncodedBatch Unsendable(IReadOnlyList<InputLine> lines, string reason) => _encoder.Unsendable(lines, reason);

    public InstanceResult[] Compose(EncodedBatch batch, string? answer, int failureCode, string? failure) =>
        _splitter.Compose(batch, answer, failureCode, failure);

    public InstanceResult ErrorRecord(BatchMember member, int code, string reason) => _splitter.ErrorRecord(member, code, reason);
}
