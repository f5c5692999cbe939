namespace Seldon.Batch.Dataflow;

/// <summary>Writes a table output from a run's complete records: row k holds the kept columns of input row k, the
/// prediction columns read from record k (<see cref="PredictionRecord"/>) and <see cref="KeptColumns.Error"/>. The records
/// are read twice: once to learn the prediction columns and their types (a Parquet schema is fixed before its first row),
/// once to write; the input is read once, alongside the second pass. Both are streamed, so memory does not grow with the
/// table. The table appears whole or not at all (<see cref="StagedOutput"/>); an input whose rows and the records do not
/// agree in number leaves no table.</summary>
internal static class TablePublisher
{
    /// <summary>Writes the table and returns its rows.</summary>
    /// <exception cref="InvalidBatchOptionsException">A kept column is not in the input, or clashes with a prediction
    /// column (<see cref="KeptColumns"/>).</exception>
    /// <exception cref="StorageException">The records cannot be read as records, or do not match the input's rows; or
    /// the store failed.</exception>
    public static async Task<long> PublishAsync(TablePublication publication, CancellationToken ct)
    {
        await using var input = await publication.OpenInput(ct).ConfigureAwait(false);
        var kept = KeptColumns.Resolve(input.Columns, publication.KeepColumns, publication.Input);
        var keptNames = kept.Select(i => input.Columns[i].Name).ToArray();
        var predictions = new PredictionColumns();
        var records = await LearnAsync(publication, predictions, ct).ConfigureAwait(false);
        KeptColumns.CheckClash(keptNames, predictions.Names, publication.KeepColumns is not null, $"the model's answers in {publication.Records}");

        IReadOnlyList<TableColumn> columns =
            [.. kept.Select(i => input.Columns[i]), .. predictions.ToTableColumns(), new TableColumn(KeptColumns.Error, typeof(string))];
        await using var staged = await StagedOutput.OpenAsync(publication.Table, publication.Store, publication.Held, ct).ConfigureAwait(false);
        var writer = await publication.Files.CreateWriter(publication.Format, publication.Table, staged.Stream, columns, ct).ConfigureAwait(false);
        await using (writer.ConfigureAwait(false))
        {
            await WriteRowsAsync(publication, input.ReadAsync(kept, 0, ct), kept.Length, predictions, records, writer, columns.Count, ct).ConfigureAwait(false);
            await writer.CompleteAsync(ct).ConfigureAwait(false);
        }

        await staged.CommitAsync(ct).ConfigureAwait(false);
        return records;
    }

    /// <summary>The first pass: learns the prediction columns from every record and counts the records.</summary>
    private static async Task<long> LearnAsync(TablePublication publication, PredictionColumns predictions, CancellationToken ct)
    {
        var cells = new List<PredictionCell>();
        var reader = new PredictionRecord(withValues: false);
        long records = 0;
        await using var stream = await publication.OpenRecords(ct).ConfigureAwait(false);
        await foreach (var line in RecordLines.ReadAsync(stream, ct).ConfigureAwait(false))
        {
            Read(publication, reader, line, records, cells);
            predictions.Learn(cells);
            records++;
        }

        return records;
    }

    /// <summary>The second pass: record k beside input row k, written as one row.</summary>
    private static async Task WriteRowsAsync(
        TablePublication publication, IAsyncEnumerable<object?[]> inputRows, int kept, PredictionColumns predictions, long records, ITableWriter writer, int width, CancellationToken ct)
    {
        var cells = new List<PredictionCell>();
        var reader = new PredictionRecord();
        var row = new object?[width];
        await using var rows = inputRows.GetAsyncEnumerator(ct);
        await using var stream = await publication.OpenRecords(ct).ConfigureAwait(false);
        long k = 0;
        await foreach (var line in RecordLines.ReadAsync(stream, ct).ConfigureAwait(false))
        {
            if (!await rows.MoveNextAsync().ConfigureAwait(false))
            {
                throw Misaligned(publication, $"has {k} rows", records);
            }

            Array.Copy(rows.Current, row, kept);
            row[^1] = Read(publication, reader, line, k, cells);
            predictions.Fill(cells, row, kept);
            await writer.WriteAsync(row, ct).ConfigureAwait(false);
            k++;
        }

        if (k != records)
        {
            throw StorageException.Failure($"{publication.Records} changed while the table {publication.Table} was written from it ({records} records, then {k}); the table is not written");
        }

        if (await rows.MoveNextAsync().ConfigureAwait(false))
        {
            throw Misaligned(publication, $"has more than {records} rows", records);
        }
    }

    /// <summary>Reads record <paramref name="index"/> into <paramref name="cells"/>; returns its failure's reason.</summary>
    private static string? Read(TablePublication publication, PredictionRecord reader, ReadOnlyMemory<byte> line, long index, List<PredictionCell> cells)
    {
        try
        {
            return reader.Read(line.Span, cells);
        }
        catch (InvalidDataException ex)
        {
            throw StorageException.Failure(
                $"record {index} of {publication.Records} cannot be read ({ex.Message}); the table {publication.Table} is not written: run again without resuming, to predict the input anew", ex);
        }
    }

    private static StorageException Misaligned(TablePublication publication, string inputRows, long records) =>
        StorageException.Failure(
            $"the input {publication.Input} {inputRows} but {publication.Records} holds {records} records, one per row of the input the run read: " +
            $"the input changed since, and the table {publication.Table} is not written (its rows would not match their predictions); run again without resuming, to predict the input anew");
}
