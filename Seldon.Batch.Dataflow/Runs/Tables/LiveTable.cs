using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>The table of a run written while the run predicts, rather than from its records once they are complete: the
/// write stage hands it each group of results it wrote to the records, in input order, and a task of its own makes them
/// into rows (<see cref="TableRowMaker"/>, as <see cref="TablePublisher"/> does after a run) beside the input's rows, so
/// the table's encoding and compression share the run's time instead of following it. A table input's kept values come
/// from the run's own reader (<see cref="KeptValues"/>, handed over as it reads each row), so the input is read once;
/// a JSON-lines input, which has no columns, is counted by a reader of its own.
/// The columns are learned from the first <see cref="TablePublisher.LearnAhead"/> records (held meanwhile), as the
/// publisher learns them, so the table is the one it would write. Only a run that writes every record itself (not
/// resumed, not a retry of failed lines, not a shard, not from a stream) has one; the records are written as ever, for
/// a resume or a restart. Anything that keeps it from being the publisher's table (a record with a new column or type,
/// an input that does not match, a failure of its storage) abandons it, without stopping or slowing the run: the table is
/// then written from the records after the run, as without it. The table is staged (<see cref="StagedOutput"/>) and put
/// in place only by <see cref="CompleteAsync"/>, after the records are complete; a run that does not complete leaves
/// none of it.</summary>
internal sealed class LiveTable : IAsyncDisposable
{
    private readonly TablePublication _publication;
    private readonly KeptValues? _handed;
    private readonly ILogger _logger;
    private readonly Channel<InstanceResult[]> _groups;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task<TableRowMaker?> _writing;
    private volatile string? _abandoned;

    private LiveTable(TablePublication publication, KeptValues? handed, int batchSize, ILogger logger)
    {
        _publication = publication;
        _handed = handed;
        _logger = logger;
        // About 4096 records waiting at most: a table that falls behind holds the run back rather than filling memory.
        _groups = Channel.CreateBounded<InstanceResult[]>(new BoundedChannelOptions(Math.Max(16, 4096 / batchSize)) { SingleReader = true, SingleWriter = true });
        _writing = Task.Run(WriteRowsAsync);
    }

    /// <summary>Starts writing the table of <paramref name="publication"/> as results come, the kept values of each row
    /// taken from <paramref name="handed"/> when given (the run's reader fills it), else read from the input here.</summary>
    public static LiveTable Start(TablePublication publication, KeptValues? handed, int batchSize, ILogger logger) => new(publication, handed, batchSize, logger);

    /// <summary>Why the table is no longer written as the run goes; null while it is.</summary>
    public string? Abandoned => _abandoned;

    /// <summary>Takes the results the write stage just wrote to the records (the next ones in input order); waits while
    /// the table is too far behind. Never fails: the table is abandoned instead.</summary>
    public ValueTask WriteAsync(InstanceResult[] results)
    {
        if (_abandoned is not null || results.Length == 0 || _groups.Writer.TryWrite(results))
        {
            return ValueTask.CompletedTask;
        }

        return WaitToWriteAsync(results);
    }

    private async ValueTask WaitToWriteAsync(InstanceResult[] results)
    {
        try
        {
            await _groups.Writer.WriteAsync(results, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ChannelClosedException)
        {
            // Abandoned, or disposed: the records have the results, and the table is written from them if at all.
        }
    }

    /// <summary>Once the run completed its records (<paramref name="records"/> of them, every one handed here): writes the
    /// table's end and puts it in place; returns its rows, or null when it was abandoned (then nothing is in place, and the
    /// caller writes the table from the records).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> stopped it; nothing is in place.</exception>
    public async Task<long?> CompleteAsync(long records, CancellationToken ct)
    {
        _groups.Writer.TryComplete();
        if (await _writing.ConfigureAwait(false) is not { } maker)
        {
            return null;
        }

        try
        {
            if (maker.Rows != records)
            {
                Abandon($"it has {maker.Rows} rows, but the run wrote {records} records");
            }
            else
            {
                var rows = await maker.CompleteAsync(ct).ConfigureAwait(false);
                _handed?.Close();
                return rows;
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            Abandon(ex.Message);
        }

        // Nothing of it is left before the table is written from the records, in the same place.
        await maker.DisposeAsync().ConfigureAwait(false);
        return null;
    }

    /// <summary>The task that writes the rows: learns the columns from the first records, then writes a row per record as
    /// they come. Returns the maker with every row written, or null when the table was abandoned.</summary>
    private async Task<TableRowMaker?> WriteRowsAsync()
    {
        var ct = _stop.Token;
        var reader = _groups.Reader;
        TableRowMaker? maker = null;
        try
        {
            var (predictions, held) = await LearnAsync(reader, ct).ConfigureAwait(false);
            maker = await TableRowMaker.OpenAsync(_publication, predictions, ct, _handed).ConfigureAwait(false);
            foreach (var group in held)
            {
                if (!await WriteAsync(maker, group, ct).ConfigureAwait(false))
                {
                    return null;
                }
            }

            held.Clear(); // the learned groups are written: not kept for the rest of the run
            while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
            {
                while (reader.TryRead(out var group))
                {
                    if (!await WriteAsync(maker, group, ct).ConfigureAwait(false))
                    {
                        return null;
                    }
                }
            }

            var written = maker;
            maker = null;
            return written;
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            Abandon(ex is InvalidBatchOptionsException refused ? refused.FormatMessage(static name => name) : ex.Message);
            return null;
        }
        finally
        {
            if (maker is not null)
            {
                // Abandoned: nothing of it is left.
                await maker.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    /// <summary>The prediction columns of the first <see cref="TablePublisher.LearnAhead"/> records (or all, when fewer),
    /// and the groups read to learn them, to be written first.</summary>
    private static async Task<(PredictionColumns Columns, List<InstanceResult[]> Held)> LearnAsync(ChannelReader<InstanceResult[]> reader, CancellationToken ct)
    {
        var predictions = new PredictionColumns();
        var held = new List<InstanceResult[]>();
        var learner = new PredictionRecord(withValues: false);
        var cells = new List<PredictionCell>();
        long learned = 0;
        while (learned < TablePublisher.LearnAhead && await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            while (learned < TablePublisher.LearnAhead && reader.TryRead(out var group))
            {
                held.Add(group);
                for (var i = 0; i < group.Length && learned < TablePublisher.LearnAhead; i++, learned++)
                {
                    learner.Read(Bytes(group[i]).Span, group[i].PredictionOffset, group[i].Prediction.Length, cells);
                    predictions.Learn(cells);
                }
            }
        }

        return (predictions, held);
    }

    /// <summary>Writes a group's rows; false when a record keeps the table from being the publisher's (abandoned).</summary>
    private async ValueTask<bool> WriteAsync(TableRowMaker maker, InstanceResult[] group, CancellationToken ct)
    {
        foreach (var result in group)
        {
            switch (await maker.WriteAsync(Bytes(result), result.PredictionOffset, result.Prediction.Length, ct).ConfigureAwait(false))
            {
                case TableRowMaker.Outcome.Written:
                    continue;
                case TableRowMaker.Outcome.NewColumns:
                    Abandon($"record {maker.Rows} has a column or a type the first records did not have");
                    return false;
                default:
                    Abandon($"the input has {maker.Rows} rows, fewer than the records");
                    return false;
            }
        }

        return true;
    }

    /// <summary>A result's line as the records hold it.</summary>
    private static ReadOnlyMemory<byte> Bytes(InstanceResult result) => result.Utf8 ?? Encoding.UTF8.GetBytes(result.Line);

    /// <summary>Stops taking results, and says why the table is written from the records instead.</summary>
    private void Abandon(string reason)
    {
        if (_abandoned is not null)
        {
            return;
        }

        _abandoned = reason;
        _groups.Writer.TryComplete();
        _handed?.Close();
        // Results already waiting are dropped: the records hold them.
        while (_groups.Reader.TryRead(out _))
        {
        }

        _logger.LogInformation("The table {Table} is written from its records once they are complete, not as the run goes: {Reason}", _publication.Table, reason);
    }

    /// <summary>Stops the writing (when <see cref="CompleteAsync"/> did not complete it) and leaves nothing of the table.</summary>
    public async ValueTask DisposeAsync()
    {
        _groups.Writer.TryComplete();
        _handed?.Close();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            if (await _writing.ConfigureAwait(false) is { } maker)
            {
                await maker.DisposeAsync().ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (StorageException.From(ex) is not null)
        {
            _logger.LogDebug(ex, "The unfinished table {Table} could not be removed", _publication.Table);
        }
        finally
        {
            _stop.Dispose();
        }
    }
}
