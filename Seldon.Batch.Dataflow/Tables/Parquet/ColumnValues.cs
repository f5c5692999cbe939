namespace Seldon.Batch.Dataflow;

/// <summary>One column of one row group as read, a value per row: held in the type the file stores (an <c>int[]</c>
/// of days, a <c>long[]</c> of microseconds) and turned into the column's value only when a row asks for it, so a row
/// group in memory costs its raw values, not a boxed object per cell.</summary>
internal abstract class ColumnValues
{
    /// <summary>The value of row <paramref name="row"/> of the row group (null when the row has none).</summary>
    public abstract object? this[int row] { get; }
}
