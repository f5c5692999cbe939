
namespace Seldon.Batch.Dataflow;

/// <summary>The result of one item sent through <see cref="PredictionBlock.Create{TItem}"/>: the caller's own item,
/// carried through unchanged, with the output for its line. Made by the block; tests make one with
/// <see cref="BatchModelFactory.PredictionResult{TItem}"/>.</summary>
/// <typeparam name="TItem">The caller's type.</typeparam>
public readonly record struct PredictionResult<TItem>
{
    internal PredictionResult(TItem item, InstanceResult result)
    {
        Item = item;
        Result = result;
    }

    /// <summary>The item as the caller sent it.</summary>
    public TItem Item { get; }

    /// <summary>The output for the item's line: the model's answer or an error record.</summary>
    public InstanceResult Result { get; }
}
