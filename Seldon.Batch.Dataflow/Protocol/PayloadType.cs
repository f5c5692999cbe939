namespace Seldon.Batch.Dataflow;

/// <summary>The payload kind of <c>data</c> requests (<c>--payload-type</c>).</summary>
public enum PayloadType
{
    /// <summary><c>data.ndarray</c>: nested JSON lists, sent as they are.</summary>
    Ndarray,
    /// <summary><c>data.tensor</c>: a shape and the flattened values.</summary>
    Tensor,
    /// <summary><c>data.tftensor</c>: a TensorFlow TensorProto.</summary>
    Tftensor,
}
