// STAND-INS, to be deleted at the merge: the signatures of tables20.md that the branches tpq (ParquetTableReader,
// InputSource.OpenSeekableAsync) and tcsv (CsvLayout, CsvTableReader, CsvShards) implement, so that branch tin compiles
// before they are merged. Each merged branch brings the real type; delete this file then (the types would be defined twice),
// and rename Seldon.Batch.Dataflow.Tests/Tables/TableRunTests.cs.after-merge to TableRunTests.cs: the runs of real CSV and
// Parquet files (DuckDB's, tcsv's harness) that need the readers.
#pragma warning disable CA1822, IDE0060, S1172, RCS1163
namespace Seldon.Batch.Dataflow;

internal sealed class ParquetTableReader : ITableReader
{
    public long RowCount => throw Pending();

    public IReadOnlyList<long> RowGroupRows => throw Pending();

    public IReadOnlyList<TableColumn> Columns => throw Pending();

    public static Task<ParquetTableReader> OpenAsync(Stream seekable, long firstRow, long? endRow, CancellationToken ct) => throw Pending();

    public IAsyncEnumerable<object?[]> ReadAsync(IReadOnlyList<int> columns, long skip, CancellationToken ct) => throw Pending();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal static NotImplementedException Pending() => new("the Parquet reader comes with branch tpq");
}

internal sealed record CsvLayout(IReadOnlyList<TableColumn> Columns, long HeaderBytes);

internal sealed class CsvTableReader : ITableReader
{
    public IReadOnlyList<TableColumn> Columns => throw Pending();

    public static Task<CsvLayout> DescribeAsync(Stream decodedFromStart, char delimiter, CancellationToken ct) => throw Pending();

    public static Task<CsvLayout> DescribeAsync(Stream decodedFromStart, char delimiter, string source, CancellationToken ct) => throw Pending();

    public static CsvTableReader Open(Stream decoded, char delimiter, CsvLayout layout, bool atFileStart) => throw Pending();

    public static Task<long> CountRowsAsync(Stream decoded, char delimiter, CancellationToken ct) => throw Pending();

    public IAsyncEnumerable<object?[]> ReadAsync(IReadOnlyList<int> columns, long skip, CancellationToken ct) => throw Pending();

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    internal static NotImplementedException Pending() => new("the CSV reader comes with branch tcsv");
}

internal static class CsvShards
{
    public static Task<IReadOnlyList<ShardRange>> CutAsync(Stream decoded, long length, CsvLayout layout, int count, int batchSize, char delimiter, CancellationToken ct) =>
        throw CsvTableReader.Pending();
}

internal static class PendingSeekableInput
{
    public static Task<Stream> OpenSeekableAsync(this InputSource input, InputVersion version, CancellationToken ct) => throw ParquetTableReader.Pending();
}
