namespace Seldon.Batch.Dataflow;

/// <summary>The result of one row sent through <see cref="PredictionBlock.CreateForRows{TRow}"/>: the caller's row, carried
/// through unchanged, the model's answer for it as prediction columns, and the record behind them.</summary>
/// <typeparam name="TRow">The caller's type of row.</typeparam>
public readonly record struct RowPrediction<TRow>
{
    internal RowPrediction(TRow row, InstanceResult result, IReadOnlyList<KeyValuePair<string, object?>> predictions)
    {
        Row = row;
        Result = result;
        Predictions = predictions;
    }

    /// <summary>The row as the caller sent it.</summary>
    public TRow Row { get; }

    /// <summary>The record of the row: the model's answer for it, or an error record (its <see cref="InstanceResult.Failure"/>).</summary>
    public InstanceResult Result { get; }

    /// <summary>The prediction columns of the row, as a table output holds them: Seldon, one per name in the answer's
    /// <c>data.names</c> (<c>t:0</c>…); Open Inference, one per output tensor, a scalar when the row's slice holds one element,
    /// else an <c>object?[]</c>; numbers as <see cref="double"/>, booleans as <see cref="bool"/>, text as
    /// <see cref="string"/>. Empty for a failed row.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Predictions { get; }

    /// <summary>Why the row has no prediction; null when it has one.</summary>
    public LineFailure? Failure => Result.Failure;
}
