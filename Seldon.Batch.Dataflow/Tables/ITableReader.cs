namespace Seldon.Batch.Dataflow;

/// <summary>A table opened for reading: its columns, then its rows in order, streamed (memory does not grow with the
/// table). Made by the format's reader over a stream the run opened (for Parquet a seekable one).</summary>
internal interface ITableReader : IAsyncDisposable
{
    /// <summary>Every column of the table, in its order.</summary>
    IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>The rows, in order, after skipping the first <paramref name="skip"/> of those this reader covers; each row
    /// holds the values of <paramref name="columns"/> (indexes into <see cref="Columns"/>), in that order. A row array may
    /// be reused by the next row: copy what must outlive it. A reader reads its rows once.</summary>
    IAsyncEnumerable<object?[]> ReadAsync(IReadOnlyList<int> columns, long skip, CancellationToken ct);
}
