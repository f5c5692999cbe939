namespace Seldon.Batch.Dataflow;

/// <summary>The kept columns' values of the rows the run read, handed from its reading loop (<see cref="TableRows"/>) to
/// the table written as the run goes (<see cref="LiveTable"/>), in row order, so that the table needs no second reader of
/// the input: the reader produced each row's values to make its request, and copies the kept ones here before the row is
/// sent. What waits here is bounded by the run itself: rows read and not yet written (the read window) and results
/// waiting for the table (its bounded queue, and the records it learns from); once the table is abandoned nothing is kept.
/// One reader thread adds, one table task takes.
/// The values wait side by side in chunks of <see cref="ChunkRows"/> rows (a row's values, then the next row's), not in
/// an array per row: a row costs its references, and the chunks' arrays are few (the per-row arrays and queue entries were
/// about 40 bytes a row of the run's allocation). Each row is published to the taker by the chunk's count, written after
/// its values.</summary>
internal sealed class KeptValues
{
    /// <summary>Rows per chunk: a chunk of a few kept columns stays under the large-object size.</summary>
    internal const int ChunkRows = 512;

    private readonly int _width;

    /// <summary>The chunk rows are added to (the adder's), and the one they are taken from (the taker's), with how many
    /// of its rows were taken.</summary>
    private Chunk _adding;
    private Chunk _taking;
    private int _taken;
    private volatile bool _closed;

    /// <param name="columns">The kept columns, as indexes into the input table's columns, in the output's order.</param>
    public KeptValues(IReadOnlyList<int> columns)
    {
        Columns = columns;
        _width = columns.Count;
        _adding = _taking = new Chunk(ChunkRows, _width);
    }

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

        var chunk = _adding;
        var n = chunk.Count;
        if (n == chunk.Indexes.Length)
        {
            var next = new Chunk(ChunkRows, _width);
            Volatile.Write(ref chunk.Next, next);
            _adding = chunk = next;
            n = 0;
        }

        Array.Copy(row, offset, chunk.Values, n * _width, _width);
        chunk.Indexes[n] = index;
        Volatile.Write(ref chunk.Count, n + 1);
    }

    /// <summary>Takes the values of row <paramref name="index"/>, the next one, into the start of <paramref name="row"/>;
    /// false when the next row kept is not that one, or none is (the run did not read it: the table cannot be written
    /// beside it), or the values were dropped (<see cref="Close"/>).</summary>
    public bool TryTake(long index, object?[] row)
    {
        if (_closed || !TryNext(out var chunk, out var at))
        {
            return false;
        }

        _taken = at + 1;
        if (chunk.Indexes[at] != index)
        {
            return false;
        }

        Array.Copy(chunk.Values, at * _width, row, 0, _width);
        return true;
    }

    /// <summary>Whether a row is kept and not taken.</summary>
    public bool IsEmpty => _closed || !TryNext(out _, out _);

    /// <summary>The chunk and place of the next row to take, moving to the next chunk when the one taken from is done;
    /// false when the adder has not published one.</summary>
    private bool TryNext(out Chunk chunk, out int at)
    {
        chunk = _taking;
        at = _taken;
        if (at == chunk.Indexes.Length && Volatile.Read(ref chunk.Next) is { } next)
        {
            // The chunk done is let go: its values are the table's now.
            _taking = chunk = next;
            _taken = at = 0;
        }

        return at < Volatile.Read(ref chunk.Count);
    }

    /// <summary>Keeps nothing more, and drops what is kept (the table is abandoned, or over).</summary>
    public void Close()
    {
        _closed = true;
        var none = new Chunk(0, 0);
        _taking = none;
        _adding = none;
    }

    private sealed class Chunk(int rows, int width)
    {
        /// <summary>The kept values of each row, one row after another.</summary>
        public readonly object?[] Values = new object?[rows * width];

        /// <summary>Each row's index in the table.</summary>
        public readonly long[] Indexes = new long[rows];

        /// <summary>The rows added: written by the adder after a row's values, read by the taker.</summary>
        public int Count;

        /// <summary>The chunk after this one, once this one is full.</summary>
        public Chunk? Next;
    }
}
