using System.Collections.Concurrent;

namespace Seldon.Batch.Dataflow;

/// <summary>The kept columns' values of the rows the run read, handed from its reading loop (<see cref="TableRows"/>) to
/// the table written as the run goes (<see cref="LiveTable"/>), in row order, so that the table needs no second reader of
/// the input: the reader produced each row's values to make its request, and copies the kept ones here before the row is
/// sent. What waits here is bounded by the run itself: rows read and not yet written (the read window) and results
/// waiting for the table (its bounded queue, and the records it learns from); once the table is abandoned nothing is kept.
/// One reader thread adds, one table task takes.</summary>
internal sealed class KeptValues
{
    private readonly ConcurrentQueue<(long Index, object?[] Values)> _rows = new();
    private volatile bool _closed;

    /// <param name="columns">The kept columns, as indexes into the input table's columns, in the output's order.</param>
    public KeptValues(IReadOnlyList<int> columns) => Columns = columns;

    /// <summary>The kept columns, as indexes into the input table's columns, in the output's order.</summary>
    public IReadOnlyList<int> Columns { get; }

    /// <summary>Keeps row <paramref name="index"/>'s values: <see cref="Columns"/>'s count of them, from
    /// <paramref name="offset"/> of <paramref name="row"/> (copied: the reader reuses its row). Nothing once closed.</summary>
    public void Add(long index, object?[] row, int offset)
    {
        if (_closed)
        {
            return;
        }

        var values = new object?[Columns.Count];
        Array.Copy(row, offset, values, 0, values.Length);
        _rows.Enqueue((index, values));
    }

    /// <summary>Takes the values of row <paramref name="index"/>, the next one; false when the next row kept is not that
    /// one, or none is (the run did not read it: the table cannot be written beside it).</summary>
    public bool TryTake(long index, out object?[] values)
    {
        if (_rows.TryDequeue(out var next) && next.Index == index)
        {
            values = next.Values;
            return true;
        }

        values = [];
        return false;
    }

    /// <summary>Whether a row is kept and not taken.</summary>
    public bool IsEmpty => _rows.IsEmpty;

    /// <summary>Keeps nothing more, and drops what is kept (the table is abandoned, or over).</summary>
    public void Close()
    {
        _closed = true;
        _rows.Clear();
    }
}
