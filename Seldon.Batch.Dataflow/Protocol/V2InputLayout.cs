namespace Seldon.Batch.Dataflow;

/// <summary>How a table row becomes an Open Inference request (<c>--v2-inputs</c>).</summary>
public enum V2InputLayout
{
    /// <summary>One input per column, named after it, of shape <c>[n]</c> for n rows, its datatype from the column's
    /// type; the request's <c>parameters.content_type</c> is <c>pd</c>, so MLServer's pandas codec gives the model a
    /// data frame.</summary>
    Columns,

    /// <summary>One input named by <see cref="PredictionBlockOptions.InputName"/>, of shape <c>[n, k]</c> for n rows of k
    /// columns.</summary>
    Tensor,
}
