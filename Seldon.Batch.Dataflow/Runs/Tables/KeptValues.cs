namespace Seldon.Batch.Dataflow;

/// <summary>The kept columns' values of the rows the run read, handed from its reading loop (<see cref="TableRows"/>) to
/// the table written as the run goes (<see cref="LiveTable"/>), in row order, so that the table needs no second reader of
/// the input: the reader produced each row's values to make its request, and copies the kept ones here before the row is
/// sent. What waits here is bounded by the run itself: rows read and not yet written (the read window) and the records
/// the table learns its columns from; once the table is abandoned nothing is kept. One reader thread adds; the write
/// stage takes, through the table.
/// A row waits here for as long as its request takes, longer than the youngest generation of the heap lives: the values
/// are held in arrays of their own, one per column, reused as a ring (an integer or a floating-point number unboxed,
/// anything else as it came), not as a copied row and its boxes, which would each outlive a collection and make it a
/// gen1 one. A value taken is boxed again, to die young.</summary>
internal sealed class KeptValues
{
    private const int InitialRows = 1024;

    private readonly object _lock = new();
    private readonly Column[] _columns;
    private long[] _indexes = new long[InitialRows];
    private int _start;
    private int _count;
    private bool _closed;

    /// <param name="columns">The kept columns, as indexes into the input table's columns, in the output's order.</param>
    public KeptValues(IReadOnlyList<int> columns)
    {
        Columns = columns;
        _columns = [.. columns.Select(_ => new Column(InitialRows))];
    }

    /// <summary>How a value is held.</summary>
    private enum Held : byte
    {
        Null,
        Int64,
        Double,
        Object,
    }

    /// <summary>The kept columns, as indexes into the input table's columns, in the output's order.</summary>
    public IReadOnlyList<int> Columns { get; }

    /// <summary>Whether a row is kept and not taken.</summary>
    public bool IsEmpty
    {
        get
        {
            lock (_lock)
            {
                return _count == 0;
            }
        }
    }

    /// <summary>Keeps row <paramref name="index"/>'s values: <see cref="Columns"/>'s count of them, from
    /// <paramref name="offset"/> of <paramref name="row"/> (copied: the reader reuses its row). Nothing once closed.</summary>
    public void Add(long index, object?[] row, int offset)
    {
        lock (_lock)
        {
            if (_closed)
            {
                return;
            }

            if (_count == _indexes.Length)
            {
                Grow();
            }

            var at = (_start + _count) % _indexes.Length;
            _indexes[at] = index;
            for (var c = 0; c < _columns.Length; c++)
            {
                _columns[c].Set(at, row[offset + c]);
            }

            _count++;
        }
    }

    /// <summary>Takes the values of row <paramref name="index"/>, the next one, into the first <see cref="Columns"/>'s
    /// count of <paramref name="values"/>; false when the next row kept is not that one, or none is (the run did not read
    /// it: the table cannot be written beside it). The next row is taken either way, as from a queue.</summary>
    public bool TryTake(long index, object?[] values)
    {
        lock (_lock)
        {
            if (_count == 0)
            {
                return false;
            }

            var at = _start;
            _start = (_start + 1) % _indexes.Length;
            _count--;
            if (_indexes[at] != index)
            {
                return false;
            }

            for (var c = 0; c < _columns.Length; c++)
            {
                values[c] = _columns[c].Take(at);
            }

            return true;
        }
    }

    /// <summary>Keeps nothing more, and drops what is kept (the table is abandoned, or over).</summary>
    public void Close()
    {
        lock (_lock)
        {
            _closed = true;
            _count = 0;
            _start = 0;
            foreach (var column in _columns)
            {
                column.Clear();
            }
        }
    }

    /// <summary>Doubles the ring, its rows from its start on laid out from 0.</summary>
    private void Grow()
    {
        var length = _indexes.Length * 2;
        _indexes = Unroll(_indexes, _start, length);
        foreach (var column in _columns)
        {
            column.Grow(_start, length);
        }

        _start = 0;
    }

    /// <summary>A copy of <paramref name="ring"/>, <paramref name="length"/> long, its rows from <paramref name="start"/> on laid out from 0.</summary>
    private static T[] Unroll<T>(T[] ring, int start, int length)
    {
        var grown = new T[length];
        var tail = ring.Length - start;
        Array.Copy(ring, start, grown, 0, tail);
        Array.Copy(ring, 0, grown, tail, start);
        return grown;
    }

    /// <summary>One kept column's values in the ring: a number's bits, or the value itself when it is of another type.</summary>
    private sealed class Column(int rows)
    {
        private Held[] _held = new Held[rows];
        private long[] _bits = new long[rows];
        private object?[] _objects = new object?[rows];

        public void Set(int at, object? value)
        {
            switch (value)
            {
                case null:
                    _held[at] = Held.Null;
                    break;
                case long number:
                    _held[at] = Held.Int64;
                    _bits[at] = number;
                    break;
                case double number:
                    _held[at] = Held.Double;
                    _bits[at] = BitConverter.DoubleToInt64Bits(number);
                    break;
                default:
                    _held[at] = Held.Object;
                    _objects[at] = value;
                    break;
            }
        }

        public object? Take(int at)
        {
            switch (_held[at])
            {
                case Held.Int64:
                    return _bits[at];
                case Held.Double:
                    return BitConverter.Int64BitsToDouble(_bits[at]);
                case Held.Object:
                    var value = _objects[at];
                    _objects[at] = null;
                    return value;
                default:
                    return null;
            }
        }

        public void Grow(int start, int length)
        {
            _held = Unroll(_held, start, length);
            _bits = Unroll(_bits, start, length);
            _objects = Unroll(_objects, start, length);
        }

        public void Clear() => Array.Clear(_objects);
    }
}
