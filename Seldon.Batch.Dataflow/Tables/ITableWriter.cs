namespace Seldon.Batch.Dataflow;

/// <summary>A table being written, row by row, to a forward-only stream (a file, or an object's multipart upload):
/// made by the format's writer with the columns it holds; Parquet buffers a row group at a time.</summary>
internal interface ITableWriter : IAsyncDisposable
{
    /// <summary>Writes one row: a value (or null) per column, of the column's <see cref="TableColumn.ValueType"/>. The
    /// array may be reused by the caller once the call returns.</summary>
    ValueTask WriteAsync(object?[] row, CancellationToken ct);

    /// <summary>Writes what is buffered and the table's end (Parquet's footer); the stream is left open.</summary>
    Task CompleteAsync(CancellationToken ct);
}
