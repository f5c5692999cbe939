
namespace Seldon.Batch.Dataflow;

/// <summary>The result of one item sent through <see cref="PredictionBlock.Create{TItem}"/>: the caller's own item,
/// carried through unchanged, with the output for its line.</summary>
/// <typeparam name="TItem">The caller's type.</typeparam>
/// <param name="Item">The item as the caller sent it.</param>
/// <param name="Result">The output for the item's line: the model's answer or an error record.</param>
public readonly record struct PredictionResult<TItem>(TItem Item, InstanceResult Result);
