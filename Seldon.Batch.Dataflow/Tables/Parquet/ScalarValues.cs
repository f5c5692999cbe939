namespace Seldon.Batch.Dataflow;

/// <summary>A column that is not a list: one stored value per row, or none where the row's definition level says null.</summary>
/// <param name="values">A stored value per row (at the rows that have one).</param>
/// <param name="definitionLevels">Per row; null when the column cannot hold nulls.</param>
/// <param name="maxDefinitionLevel">The level at which a row holds a value.</param>
/// <param name="convert">The stored value to the column's value.</param>
internal sealed class ScalarValues<T>(T[] values, int[]? definitionLevels, int maxDefinitionLevel, Func<T, object> convert) : ColumnValues
{
    public override object? this[int row] =>
        definitionLevels is not null && definitionLevels[row] < maxDefinitionLevel ? null : convert(values[row]);
}
