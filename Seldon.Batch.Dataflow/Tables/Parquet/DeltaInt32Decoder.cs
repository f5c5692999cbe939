using Parquet;
using Parquet.Meta;

namespace Seldon.Batch.Dataflow;

/// <summary>An INT32 column, read as <c>int</c>, but as <c>long</c> (then cut back to 32 bits) where a chunk's pages
/// are all DELTA_BINARY_PACKED: DuckDB computes the deltas of INT32 columns in 64 bits, so a miniblock can be 33 bits
/// wide, which Parquet.Net's 32-bit decoder turns into wrong values (int.MinValue then int.MaxValue read back as -7)
/// while its 64-bit decoder reads them right. A chunk with plain or dictionary pages is read as <c>int</c>: the
/// 64-bit decoder would read its plain values 8 bytes at a time.</summary>
internal sealed class DeltaInt32Decoder(LeafDecoder asInt, LeafDecoder asLong, Parquet.Schema.DataField field) : LeafDecoder
{
    public override System.Type ValueType => asInt.ValueType;

    public override ValueTask<ColumnValues> ReadAsync(ParquetRowGroupReader rowGroup, int rows, CancellationToken ct)
    {
        var encodings = rowGroup.GetMetadata(field)?.MetaData?.Encodings ?? [];
        var deltaOnly = encodings.Contains(Encoding.DELTA_BINARY_PACKED)
            && !encodings.Any(e => e is Encoding.PLAIN or Encoding.PLAIN_DICTIONARY or Encoding.RLE_DICTIONARY);
        return (deltaOnly ? asLong : asInt).ReadAsync(rowGroup, rows, ct);
    }
}
