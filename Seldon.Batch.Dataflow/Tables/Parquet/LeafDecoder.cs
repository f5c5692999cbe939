using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>How one leaf column of a Parquet file (a <see cref="DataField"/>, alone or as a list's element) is read
/// from a row group: as the values Parquet.Net decodes (<see cref="RawLeafDecoder{T}"/>), each turned into the column's
/// value when a row asks for it.</summary>
internal abstract class LeafDecoder
{
    /// <summary>The CLR type of a value (of an element, for a list): one of <see cref="TableColumn.ValueType"/>'s.</summary>
    public abstract Type ValueType { get; }

    /// <summary>The leaf's values in one row group of <paramref name="rows"/> rows.</summary>
    public abstract ValueTask<ColumnValues> ReadAsync(ParquetRowGroupReader rowGroup, int rows, CancellationToken ct);
}
