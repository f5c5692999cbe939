using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>How one column of a table is written to Parquet: its top-level field in the file's schema, and its values
/// of a row group, taken one row at a time (<see cref="Add"/>), turned into what Parquet.Net writes (the values present,
/// their definition and repetition levels). A column that is not a list keeps its values typed (a <c>long[]</c>, not a
/// box per row), so what a row group holds costs its values, and the boxes a row came in die young.</summary>
internal abstract class ColumnEncoder
{
    /// <summary>The column's field in the schema (a <see cref="DataField"/> or a <see cref="ListField"/>).</summary>
    public abstract Field Field { get; }

    /// <summary>Takes the next row's value (null allowed) into the row group being gathered.</summary>
    public abstract void Add(object? value);

    /// <summary>Writes the values taken since the last call as the column's chunk of <paramref name="rowGroup"/>, and
    /// forgets them.</summary>
    public abstract Task WriteAsync(ParquetRowGroupWriter rowGroup, CancellationToken ct);
}
