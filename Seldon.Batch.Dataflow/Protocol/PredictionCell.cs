namespace Seldon.Batch.Dataflow;

/// <summary>One prediction value of a record, as a table output holds it.</summary>
/// <param name="Name">The prediction column it belongs in.</param>
/// <param name="Value">A <see cref="double"/>, <see cref="bool"/> or <see cref="string"/>, null, or a list of those
/// (<c>object?[]</c>).</param>
internal readonly record struct PredictionCell(string Name, object? Value);
