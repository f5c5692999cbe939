namespace Seldon.Batch.Dataflow;

/// <summary>The Seldon protocol behind the codec seam: <see cref="MicroBatchEncoder"/> and <see cref="OutputComposer"/>
/// as they are, one request per group of lines, or one per run of lines that merge.</summary>
internal sealed class SeldonCodec(EncoderSettings settings) : IBatchCodec
{
    private readonly MicroBatchEncoder _encoder = new(settings);
    private readonly OutputComposer _composer = new(settings.BatchId);

    public IReadOnlyList<EncodedBatch> Encode(IReadOnlyList<InputLine> lines) => _encoder.Encode(lines);

    public EncodedBatch Unsendable(IReadOnlyList<InputLine> lines, string reason) => _encoder.Unsendable(lines, reason);

    public InstanceResult[] Compose(EncodedBatch batch, AnswerBody answer, RequestFailure? failure) => _composer.Compose(batch, answer, failure);

    public InstanceResult ErrorRecord(BatchMember member, RequestFailure failure) => _composer.ErrorRecord(member, failure);
}
