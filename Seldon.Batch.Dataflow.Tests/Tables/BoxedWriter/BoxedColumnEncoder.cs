using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>How one column of a table is written to Parquet: its top-level field in the file's schema, and its values
/// of a row group turned into what Parquet.Net writes (the values present, their definition and repetition levels).</summary>
internal abstract class BoxedColumnEncoder
{
    /// <summary>The column's field in the schema (a <see cref="DataField"/> or a <see cref="ListField"/>).</summary>
    public abstract Field Field { get; }

    /// <summary>Writes the column's chunk of a row group: <paramref name="rows"/> values, in order, null allowed.</summary>
    public abstract Task WriteAsync(ParquetRowGroupWriter rowGroup, object?[] values, int rows, CancellationToken ct);
}
