using System.Runtime.CompilerServices;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>A table held in memory, read as the formats' readers read theirs: the chosen columns of each row, in order,
/// after the skipped rows, the row array reused from one row to the next (as a reader may).</summary>
internal sealed class MemoryTable(IReadOnlyList<TableColumn> columns, IReadOnlyList<object?[]> rows) : ITableReader
{
    public IReadOnlyList<TableColumn> Columns { get; } = columns;

    /// <summary>Rows handed out so far (skipped ones not counted).</summary>
    public long RowsRead { get; private set; }

    public bool Disposed { get; private set; }

    public async IAsyncEnumerable<object?[]> ReadAsync(IReadOnlyList<int> chosen, long skip, [EnumeratorCancellation] CancellationToken ct)
    {
        var row = new object?[chosen.Count];
        for (var r = (int)skip; r < rows.Count; r++)
        {
            ct.ThrowIfCancellationRequested();
            for (var c = 0; c < chosen.Count; c++)
            {
                row[c] = rows[r][chosen[c]];
            }

            RowsRead++;
            yield return row;
            if (r % 16 == 15)
            {
                await Task.Yield();
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        Disposed = true;
        return ValueTask.CompletedTask;
    }
}
