
namespace Seldon.Batch.Dataflow;

/// <summary>Picks the codec of a run's protocol: the pipeline is the same for all of them.</summary>
internal static class BatchCodecs
{
    public static IBatchCodec For(PredictionBlockOptions options, InferenceProtocol protocol, string batchId) => protocol switch
    {
        InferenceProtocol.V2 => new OpenInferenceCodec(new OpenInferenceSettings(
            options.DataType,
            batchId,
            options.BatchSize,
            string.IsNullOrEmpty(options.InputName) ? OpenInferenceSettings.DefaultInputName : options.InputName,
            string.IsNullOrEmpty(options.InputDatatype) ? null : options.InputDatatype)),
        _ => new SeldonCodec(new EncoderSettings(options.DataType, options.PayloadType, options.Method, batchId, options.BatchSize)),
    };
}
