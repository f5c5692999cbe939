namespace Seldon.Batch.Dataflow;

/// <summary>A list column: each row's list (an <c>object?[]</c> of its elements' values, any of them null), or null.</summary>
internal sealed class ListValues(object?[] rows) : ColumnValues
{
    public override object? this[int row] => rows[row];
}
