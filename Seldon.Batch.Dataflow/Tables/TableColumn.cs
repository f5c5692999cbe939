namespace Seldon.Batch.Dataflow;

/// <summary>A column of a table as the run sees it: its name and the CLR type of its values (null aside).</summary>
/// <param name="Name">The column's name in the table's header or schema.</param>
/// <param name="ValueType">What a value read from the column is: <see cref="long"/>, <see cref="int"/>, <see cref="short"/>,
/// <see cref="sbyte"/>, their unsigned forms, <see cref="double"/>, <see cref="float"/>, <see cref="bool"/>,
/// <see cref="string"/>, <see cref="decimal"/>, <see cref="DateTime"/> (a timestamp; <see cref="DateTimeKind.Utc"/> when
/// the format says so, else unspecified), <see cref="DateOnly"/>, <see cref="TimeSpan"/>, <c>byte[]</c>, or
/// <c>object?[]</c> for a list; any value may be null.</param>
/// <param name="Native">The format's own description of the column (for Parquet its field), which a writer of the same
/// format uses to keep the column's exact type; null when there is none (CSV, or a prediction column).</param>
/// <param name="ElementType">For a list column (<c>object?[]</c> values) whose elements are all of one type (a prediction
/// column's: <see cref="double"/>, <see cref="bool"/> or <see cref="string"/>, null aside), that type, so a writer knows
/// the list's element type before the first row; null otherwise.</param>
internal sealed record TableColumn(string Name, Type ValueType, object? Native = null, Type? ElementType = null);
