namespace Seldon.Batch.Dataflow;

/// <summary>What decides how a table row becomes the model's request (<see cref="RowLines"/>): the protocol and, from the
/// block's settings, the Seldon payload and the Open Inference input's name and datatype.</summary>
/// <param name="Protocol">Seldon or Open Inference (V2).</param>
/// <param name="PayloadType">Seldon only: an ndarray, or a tensor of numbers.</param>
/// <param name="InputName">Open Inference tensor only: the input's name; empty for <c>input-0</c>.</param>
/// <param name="InputDatatype">Open Inference tensor only: the input's datatype when set (or read from the model's
/// metadata); empty when the columns' types decide it.</param>
/// <param name="V2Inputs">Open Inference only: one input per column, or one tensor.</param>
internal sealed record RowEncoding(InferenceProtocol Protocol, PayloadType PayloadType, string InputName, string InputDatatype, V2InputLayout V2Inputs);
