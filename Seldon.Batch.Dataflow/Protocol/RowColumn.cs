namespace Seldon.Batch.Dataflow;

/// <summary>A value of a table row that goes to the model (<see cref="PredictionBlock.CreateForRows{TRow}"/>): its
/// column's name and the type of its values.</summary>
/// <param name="Name">The column's name: Seldon's <c>data.names</c> entry, or the Open Inference input's name (one input
/// per column).</param>
/// <param name="ValueType">The CLR type of the column's values: an integer type, <see cref="double"/>, <see cref="float"/>,
/// <see cref="decimal"/>, <see cref="bool"/>, <see cref="string"/>, <see cref="DateOnly"/> or <see cref="DateTime"/>
/// (written as <c>docs/formats.md</c>'s tables section says); it decides an Open Inference input's datatype.</param>
public sealed record RowColumn(string Name, Type ValueType);
