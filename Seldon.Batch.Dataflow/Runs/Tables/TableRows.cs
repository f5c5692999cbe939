using System.Runtime.CompilerServices;

namespace Seldon.Batch.Dataflow;

/// <summary>A range of a table opened for the run: its rows made into the model's lines, and how far through the range
/// the run is. Disposing it closes the reader and what it reads from.</summary>
internal sealed class TableRows : IAsyncDisposable
{
    private readonly ITableReader _reader;
    private readonly IReadOnlyList<int> _columns;
    private readonly IAsyncDisposable _source;
    private readonly long _rangeRows;
    private readonly InputReading? _bytes;
    private long _rowsRead;
    private KeptValues? _kept;

    private TableRows(ITableReader reader, IReadOnlyList<int> columns, IAsyncDisposable source, long rangeRows, InputReading? bytes)
    {
        _reader = reader;
        _columns = columns;
        _source = source;
        _rangeRows = rangeRows;
        _bytes = bytes;
    }

    /// <summary>A range whose row count is known (Parquet): progress is the rows written of the range's rows.</summary>
    public static TableRows OfRows(ITableReader reader, IReadOnlyList<int> columns, long rangeRows, IAsyncDisposable source) =>
        new(reader, columns, source, rangeRows, null);

    /// <summary>A range read from bytes (CSV): progress tells the range's rows from the bytes read per row read, as for
    /// JSON lines (the bytes the reader buffered ahead of its rows included, which the end makes exact).</summary>
    public static TableRows OfBytes(ITableReader reader, IReadOnlyList<int> columns, InputReading bytes) =>
        new(reader, columns, bytes, -1, bytes);

    /// <summary>From the next reading on, each row's values of <paramref name="kept"/>'s columns are read with the model's
    /// and handed to it before the row's line is yielded (a table written as the run goes takes them there).</summary>
    public void HandTo(KeptValues kept) => _kept = kept;

    /// <summary>The rows of the range after the first <paramref name="skip"/> as the model's lines, row k of the range
    /// numbered <paramref name="first"/> + k.</summary>
    public async IAsyncEnumerable<InputLine> LinesAsync(RowLines lines, long first, long skip, [EnumeratorCancellation] CancellationToken ct)
    {
        var index = first + skip;
        Interlocked.Exchange(ref _rowsRead, skip);
        var kept = _kept;
        // The kept columns after the model's: the reader reads a column asked for twice once, and the line takes the
        // model's values from the row's start.
        IReadOnlyList<int> columns = kept is null ? _columns : [.. _columns, .. kept.Columns];
        await foreach (var row in _reader.ReadAsync(columns, skip, ct).ConfigureAwait(false))
        {
            Interlocked.Increment(ref _rowsRead);
            kept?.Add(index, row, _columns.Count);
            yield return lines.Line(index++, row);
        }
    }

    /// <summary>The share of the range that <paramref name="done"/> rows written (a resumed prefix's included) are.</summary>
    public double ShareOf(long done)
    {
        if (_bytes is null)
        {
            return _rangeRows <= 0 ? 1 : Math.Min(1, (double)done / _rangeRows);
        }

        return ProgressReporter.ShareOfInput(done, Interlocked.Read(ref _rowsRead), _bytes.Consumed, _bytes.Length);
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.DisposeAsync().ConfigureAwait(false);
        await _source.DisposeAsync().ConfigureAwait(false);
    }
}
