namespace Seldon.Batch.Dataflow;

/// <summary>What the Open Inference codec needs to know about a run.</summary>
/// <param name="DataType">How lines are read: raw (an InferenceRequest), data (an array), str or json (one BYTES element).</param>
/// <param name="BatchId">The run's <c>batch_id</c>.</param>
/// <param name="BatchSize">Lines per group; above 1 the lines of a group are concatenated along the first dimension.</param>
/// <param name="InputName">The input tensor's name for data, str and json lines (from <c>--input-name</c> or the model's metadata).</param>
/// <param name="Datatype">The datatype of data lines (from <c>--datatype</c> or the model's metadata); null: read from the values.</param>
internal sealed record OpenInferenceSettings(DataType DataType, string BatchId, int BatchSize, string InputName, string? Datatype)
{
    /// <summary>The input name MLServer's own codecs give a tensor that has none.</summary>
    public const string DefaultInputName = "input-0";
}
