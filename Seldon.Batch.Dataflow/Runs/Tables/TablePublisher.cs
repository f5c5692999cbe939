namespace Seldon.Batch.Dataflow;

/// <summary>Writes a table output from a run's complete records: row k holds the kept columns of input row k, the
/// prediction columns read from record k (<see cref="PredictionRecord"/>) and <see cref="KeptColumns.Error"/>. A Parquet
/// schema is fixed before its first row, so the prediction columns and their types are known before any row is written:
/// they are learned from the first <see cref="LearnAhead"/> records, then one pass writes every row while checking each
/// record against them. A run's answers nearly always have the same columns and types throughout, so the records are
/// read once (and their first records twice); a record that brings a new column or type abandons that table, and it is
/// written again after a pass that learns from every record. The input is read once per table written. Both are
/// streamed, so memory does not grow with the table. The table appears whole or not at all (<see cref="StagedOutput"/>);
/// an input whose rows and the records do not agree in number leaves no table.</summary>
internal static class TablePublisher
{
    /// <summary>The records the prediction columns are learned from before the table is written (all of them when they
    /// are fewer).</summary>
    internal const int LearnAhead = 1024;

    /// <summary>Writes the table and returns its rows.</summary>
    /// <exception cref="InvalidBatchOptionsException">A kept column is not in the input, or clashes with a prediction
    /// column (<see cref="KeptColumns"/>).</exception>
    /// <exception cref="StorageException">The records cannot be read as records, or do not match the input's rows; or
    /// the store failed.</exception>
    public static async Task<long> PublishAsync(TablePublication publication, CancellationToken ct)
    {
        var predictions = new PredictionColumns();
        var learnedAll = await LearnAsync(publication, predictions, LearnAhead, ct).ConfigureAwait(false) < LearnAhead;
        if (await TryWriteAsync(publication, predictions, learnedAll, ct).ConfigureAwait(false) is { } rows)
        {
            return rows;
        }

        // A record after the first ones had a column or a type they did not: learn from every record, then write.
        predictions = new PredictionColumns();
        await LearnAsync(publication, predictions, long.MaxValue, ct).ConfigureAwait(false);
        return await TryWriteAsync(publication, predictions, learnedAll: true, ct).ConfigureAwait(false)
            ?? throw new InvalidOperationException("the prediction columns learned from every record changed while the table was written");
    }

    /// <summary>Learns the prediction columns from the first <paramref name="limit"/> records; returns how many were read.</summary>
    private static async Task<long> LearnAsync(TablePublication publication, PredictionColumns predictions, long limit, CancellationToken ct)
    {
        var cells = new List<PredictionCell>();
        var reader = new PredictionRecord(withValues: false);
        long records = 0;
        await using var stream = await publication.OpenRecords(ct).ConfigureAwait(false);
        await foreach (var line in RecordLines.ReadAsync(stream, ct).ConfigureAwait(false))
        {
            if (records == limit)
            {
                break;
            }

            Read(publication, reader, line, records, cells);
            predictions.Learn(cells);
            records++;
        }

        return records;
    }

    /// <summary>Writes the table with the columns learned; returns its rows, or null (nothing published) when a record
    /// does not fit them and <paramref name="learnedAll"/> is false. Record k beside input row k, written as one row.</summary>
    private static async Task<long?> TryWriteAsync(TablePublication publication, PredictionColumns predictions, bool learnedAll, CancellationToken ct)
    {
        await using var maker = await TableRowMaker.OpenAsync(publication, predictions, ct).ConfigureAwait(false);
        await using var stream = await publication.OpenRecords(ct).ConfigureAwait(false);
        await using var lines = RecordLines.ReadAsync(stream, ct).GetAsyncEnumerator(ct);
        while (await lines.MoveNextAsync().ConfigureAwait(false))
        {
            switch (await maker.WriteAsync(lines.Current, ct).ConfigureAwait(false))
            {
                case TableRowMaker.Outcome.Written:
                    break;
                case TableRowMaker.Outcome.NewColumns when !learnedAll:
                    return null;
                case TableRowMaker.Outcome.NewColumns:
                    throw StorageException.Failure($"{publication.Records} changed while the table {publication.Table} was written from it (record {maker.Rows} has columns its records did not have before); the table is not written");
                default:
                    // The records' count, for the message.
                    var records = maker.Rows + 1;
                    while (await lines.MoveNextAsync().ConfigureAwait(false))
                    {
                        records++;
                    }

                    throw maker.Misaligned($"has {maker.Rows} rows", records);
            }
        }

        return await maker.CompleteAsync(ct).ConfigureAwait(false);
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
}
