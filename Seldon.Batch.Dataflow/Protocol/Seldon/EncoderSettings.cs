namespace Seldon.Batch.Dataflow;

/// <summary>What the encoder needs to know about a run.</summary>
/// <param name="DataType">How lines are read.</param>
/// <param name="PayloadType">The payload kind of <c>data</c> requests.</param>
/// <param name="Method">Predict or feedback.</param>
/// <param name="BatchId">The run's <c>batch_id</c>.</param>
/// <param name="BatchSize">Lines per request; above 1 the rows of several lines are merged.</param>
internal sealed record EncoderSettings(
    DataType DataType,
    PayloadType PayloadType,
    PredictionMethod Method,
    string BatchId,
    int BatchSize)
{
    public bool IsMicroBatching => BatchSize > 1;
}
