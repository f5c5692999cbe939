namespace Seldon.Batch.Dataflow;

/// <summary>The Open Inference Protocol behind the codec seam.</summary>
/// <param name="settings">What the run's lines are and how they are grouped.</param>
/// <param name="newId">Where request ids come from: <see cref="RequestIds.Next"/> when null.</param>
internal sealed class OpenInferenceCodec(OpenInferenceSettings settings, Func<string>? newId = null) : IBatchCodec
{
    private readonly InferenceRequestEncoder _encoder = new(settings, newId);
    private readonly InferenceResponseSplitter _splitter = new(settings.BatchId);

    public IReadOnlyList<EncodedBatch> Encode(IReadOnlyList<InputLine> lines) => _encoder.Encode(lines);

    public EncodedBatch Unsendable(IReadOnlyList<InputLine> lines, string reason) => _encoder.Unsendable(lines, reason);

    public InstanceResult[] Compose(EncodedBatch batch, AnswerBody answer, RequestFailure? failure) => _splitter.Compose(batch, answer, failure);

    public InstanceResult ErrorRecord(BatchMember member, RequestFailure failure) => _splitter.ErrorRecord(member, failure);
}
