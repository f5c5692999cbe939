namespace Seldon.Batch.Dataflow;

/// <summary>Makes a table output's rows, one record at a time: record k (<see cref="PredictionRecord"/>) beside input
/// row k, written as one row of the kept columns, the prediction columns learned beforehand and
/// <see cref="KeptColumns.Error"/>, to a table staged next to where it goes (<see cref="StagedOutput"/>), which
/// <see cref="CompleteAsync"/> puts in place. One maker serves the table written after a run from its records
/// (<see cref="TablePublisher"/>) and the one written while the run predicts (<see cref="LiveTable"/>), so that the two
/// write the same table from the same records. The kept columns' values come from a reader of the input of its own, or,
/// for a live table, from the run's reader (<see cref="KeptValues"/>), which reads the same values. Disposed before it
/// completed, it leaves no table.</summary>
internal sealed class TableRowMaker : IAsyncDisposable
{
    private readonly TablePublication _publication;
    private readonly PredictionColumns _predictions;
    private readonly ITableReader? _input;
    private readonly IAsyncEnumerator<object?[]>? _rows;
    private readonly KeptValues? _handed;
    private readonly StagedOutput _staged;
    private readonly ITableWriter _writer;
    private readonly int _kept;
    private readonly object?[] _row;
    private readonly PredictionRecord _reader = new();
    private readonly List<PredictionCell> _cells = [];
    private bool _writerDisposed;
    private bool _disposed;

    private TableRowMaker(
        TablePublication publication,
        PredictionColumns predictions,
        ITableReader? input,
        IAsyncEnumerator<object?[]>? rows,
        KeptValues? handed,
        StagedOutput staged,
        ITableWriter writer,
        int kept,
        int width)
    {
        _publication = publication;
        _predictions = predictions;
        _input = input;
        _rows = rows;
        _handed = handed;
        _staged = staged;
        _writer = writer;
        _kept = kept;
        _row = new object?[width];
    }

    /// <summary>What became of a record given to <see cref="WriteAsync(ReadOnlyMemory{byte}, int, int, CancellationToken)"/>.</summary>
    public enum Outcome
    {
        /// <summary>Its row is written.</summary>
        Written,

        /// <summary>It has a column, or a type, the columns learned did not: nothing is written of it.</summary>
        NewColumns,

        /// <summary>The input has no row for it: nothing is written of it.</summary>
        InputEnded,
    }

    /// <summary>The rows written.</summary>
    public long Rows { get; private set; }

    /// <summary>Opens the whole input and starts the staged table, of the kept columns, the prediction columns
    /// <paramref name="predictions"/> learned and <see cref="KeptColumns.Error"/>. With <paramref name="handed"/>, the kept
    /// values of each row are taken from it instead of read here (the input is read for its columns alone).</summary>
    /// <exception cref="InvalidBatchOptionsException">A kept column is not in the input, or clashes with a prediction column.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="handed"/> holds other columns than the kept ones.</exception>
    public static async Task<TableRowMaker> OpenAsync(TablePublication publication, PredictionColumns predictions, CancellationToken ct, KeptValues? handed = null)
    {
        ITableReader? input = await publication.OpenInput(ct).ConfigureAwait(false);
        StagedOutput? staged = null;
        try
        {
            var kept = KeptColumns.Resolve(input.Columns, publication.KeepColumns, publication.Input);
            if (handed is not null && !handed.Columns.SequenceEqual(kept))
            {
                throw new InvalidOperationException("the run reads other columns of the input than the table keeps");
            }

            var keptNames = kept.Select(i => input.Columns[i].Name).ToArray();
            KeptColumns.CheckClash(keptNames, predictions.Names, publication.KeepColumns is not null, $"the model's answers in {publication.Records}");

            IReadOnlyList<TableColumn> columns =
                [.. kept.Select(i => input.Columns[i]), .. predictions.ToTableColumns(), new TableColumn(KeptColumns.Error, typeof(string))];
            staged = await StagedOutput.OpenAsync(publication.Table, publication.Store, publication.Held, ct).ConfigureAwait(false);
            var writer = await publication.Files.CreateWriter(publication.Format, publication.Table, staged.Stream, columns, ct).ConfigureAwait(false);
            if (handed is not null)
            {
                // The run's reader reads the rows: this one served for the columns.
                var described = input;
                input = null;
                await described.DisposeAsync().ConfigureAwait(false);
                return new TableRowMaker(publication, predictions, null, null, handed, staged, writer, kept.Length, columns.Count);
            }

            return new TableRowMaker(publication, predictions, input, input.ReadAsync(kept, 0, ct).GetAsyncEnumerator(ct), null, staged, writer, kept.Length, columns.Count);
        }
        catch
        {
            if (staged is not null)
            {
                await staged.DisposeAsync().ConfigureAwait(false);
            }

            if (input is not null)
            {
                await input.DisposeAsync().ConfigureAwait(false);
            }

            throw;
        }
    }

    /// <summary>Writes the row of the next record, <paramref name="record"/> (its line without the line end).</summary>
    /// <exception cref="StorageException">The record cannot be read as a record, or the store failed.</exception>
    public ValueTask<Outcome> WriteAsync(ReadOnlyMemory<byte> record, CancellationToken ct) => WriteAsync(record, -1, 0, ct);

    /// <summary>Writes the row of the next record, <paramref name="record"/> (its line without the line end), told where
    /// the model's answer lies in it (<see cref="InstanceResult.Prediction"/>; a negative start when not known): the same
    /// row, read from the answer's bytes where the record's shape allows (<see cref="PredictionRecord"/>).</summary>
    /// <exception cref="StorageException">The record cannot be read as a record, or the store failed.</exception>
    public async ValueTask<Outcome> WriteAsync(ReadOnlyMemory<byte> record, int answerStart, int answerLength, CancellationToken ct)
    {
        var error = Read(record.Span, answerStart, answerLength);
        if (_predictions.Learn(_cells))
        {
            return Outcome.NewColumns;
        }

        if (_handed is not null)
        {
            if (!_handed.TryTake(Rows, _row))
            {
                return Outcome.InputEnded;
            }
        }
        else if (await _rows!.MoveNextAsync().ConfigureAwait(false))
        {
            Array.Copy(_rows.Current, _row, _kept);
        }
        else
        {
            return Outcome.InputEnded;
        }

        _row[^1] = error;
        _predictions.Fill(_cells, _row, _kept);
        await _writer.WriteAsync(_row, ct).ConfigureAwait(false);
        Rows++;
        return Outcome.Written;
    }

    /// <summary>After the last record: checks the input has no row more, writes the table's end and puts it in place;
    /// returns its rows.</summary>
    /// <exception cref="StorageException">The input has more rows than the records (<see cref="Misaligned"/>), or the store failed.</exception>
    public async Task<long> CompleteAsync(CancellationToken ct)
    {
        if (_handed is not null ? !_handed.IsEmpty : await _rows!.MoveNextAsync().ConfigureAwait(false))
        {
            throw Misaligned($"has more than {Rows} rows", Rows);
        }

        await _writer.CompleteAsync(ct).ConfigureAwait(false);
        await DisposeWriterAsync().ConfigureAwait(false);
        await _staged.CommitAsync(ct).ConfigureAwait(false);
        return Rows;
    }

    /// <summary>The refusal of a table whose input and records do not agree in number: the input changed since the run read it.</summary>
    /// <param name="inputRows">What the input has, in words ("has 10 rows").</param>
    /// <param name="records">The records the run wrote.</param>
    public StorageException Misaligned(string inputRows, long records) =>
        StorageException.Failure(
            $"the input {_publication.Input} {inputRows} but {_publication.Records} holds {records} records, one per row of the input the run read: " +
            $"the input changed since, and the table {_publication.Table} is not written (its rows would not match their predictions); run again without resuming, to predict the input anew");

    /// <summary>Reads the record into the cells; returns its failure's reason.</summary>
    private string? Read(ReadOnlySpan<byte> record, int answerStart, int answerLength)
    {
        try
        {
            return _reader.Read(record, answerStart, answerLength, _cells);
        }
        catch (InvalidDataException ex)
        {
            throw StorageException.Failure(
                $"record {Rows} of {_publication.Records} cannot be read ({ex.Message}); the table {_publication.Table} is not written: run again without resuming, to predict the input anew", ex);
        }
    }

    private async ValueTask DisposeWriterAsync()
    {
        if (!_writerDisposed)
        {
            _writerDisposed = true;
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Leaves nothing of a table not completed; closes the input. Once: a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        try
        {
            await DisposeWriterAsync().ConfigureAwait(false);
        }
        finally
        {
            await _staged.DisposeAsync().ConfigureAwait(false);
            if (_rows is not null)
            {
                await _rows.DisposeAsync().ConfigureAwait(false);
            }

            if (_input is not null)
            {
                await _input.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
