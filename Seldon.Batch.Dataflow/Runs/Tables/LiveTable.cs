using System.Text;
using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>The table of a run written while the run predicts, rather than from its records once they are complete: the
/// write stage hands it each group of results it wrote to the records, in input order, and it makes them into rows there
/// and then (<see cref="TableRowMaker"/>, as <see cref="TablePublisher"/> does after a run) beside the input's rows, so
/// the table's encoding and compression share the run's time instead of following it, and no result is held for it. A table input's kept values come
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
    private readonly CancellationTokenSource _stop = new();
    private readonly PredictionColumns _predictions = new();
    private readonly PredictionRecord _learner = new(withValues: false);
    private readonly List<PredictionCell> _cells = [];

    /// <summary>The groups taken while the columns are learned, written once they are; null after.</summary>
    private List<InstanceResult[]>? _held = [];
    private long _learned;
    private TableRowMaker? _maker;
    private volatile string? _abandoned;

    private LiveTable(TablePublication publication, KeptValues? handed, ILogger logger)
    {
        _publication = publication;
        _handed = handed;
        _logger = logger;
    }

    /// <summary>Starts writing the table of <paramref name="publication"/> as results come, the kept values of each row
    /// taken from <paramref name="handed"/> when given (the run's reader fills it), else read from the input here.</summary>
    public static LiveTable Start(TablePublication publication, KeptValues? handed, ILogger logger) => new(publication, handed, logger);

    /// <summary>Why the table is no longer written as the run goes; null while it is.</summary>
    public string? Abandoned => _abandoned;

    /// <summary>Takes the results the write stage just wrote to the records (the next ones in input order), one call at a
    /// time, and writes their rows before it returns: each result's values go into the table's column buffers as it
    /// comes, rather than the results waiting in a queue for a task of the table's own (results held for long outlive the
    /// youngest generation of the heap, which made nearly every collection a gen1 one). The write stage waits for it, a
    /// row group's write included. Never fails: the table is abandoned instead.</summary>
    public ValueTask WriteAsync(InstanceResult[] results)
    {
        if (_abandoned is not null || results.Length == 0)
        {
            return ValueTask.CompletedTask;
        }

        return _maker is { } maker ? WriteGroupAsync(maker, results) : LearnAsync(results);
    }

    /// <summary>Once the run completed its records (<paramref name="records"/> of them, every one handed here): writes the
    /// table's end and puts it in place; returns its rows, or null when it was abandoned (then nothing is in place, and the
    /// caller writes the table from the records).</summary>
    /// <exception cref="OperationCanceledException"><paramref name="ct"/> stopped it; nothing is in place.</exception>
    public async Task<long?> CompleteAsync(long records, CancellationToken ct)
    {
        if (_abandoned is null && _maker is null)
        {
            // Fewer records than the columns are learned from: they are all learned.
            await OpenAsync().ConfigureAwait(false);
        }

        if (_abandoned is not null || _maker is not { } maker)
        {
            await DisposeMakerAsync().ConfigureAwait(false);
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
        await DisposeMakerAsync().ConfigureAwait(false);
        return null;
    }

    /// <summary>Holds a group while the columns are learned from the first <see cref="TablePublisher.LearnAhead"/> records
    /// (as the publisher learns them, so the table is the one it would write); once they are, opens the table and writes
    /// the groups held.</summary>
    private ValueTask LearnAsync(InstanceResult[] group)
    {
        _held!.Add(group);
        try
        {
            for (var i = 0; i < group.Length && _learned < TablePublisher.LearnAhead; i++, _learned++)
            {
                _learner.Read(Bytes(group[i]).Span, group[i].PredictionOffset, group[i].Prediction.Length, _cells);
                _predictions.Learn(_cells);
            }
        }
        catch (InvalidDataException ex)
        {
            Abandon(ex.Message);
            return ValueTask.CompletedTask;
        }

        return _learned < TablePublisher.LearnAhead ? ValueTask.CompletedTask : OpenAsync();
    }

    /// <summary>Opens the table with the columns learned and writes the groups held meanwhile.</summary>
    private async ValueTask OpenAsync()
    {
        var held = _held!;
        _held = null; // not kept for the rest of the run
        try
        {
            _maker = await TableRowMaker.OpenAsync(_publication, _predictions, _stop.Token, _handed).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            Abandon(ex is InvalidBatchOptionsException refused ? refused.FormatMessage(static name => name) : ex.Message);
            return;
        }

        foreach (var group in held)
        {
            if (_abandoned is not null)
            {
                return;
            }

            await WriteGroupAsync(_maker, group).ConfigureAwait(false);
        }
    }

    /// <summary>Writes a group's rows; abandons the table when a record keeps it from being the publisher's, or the writing failed.</summary>
    private async ValueTask WriteGroupAsync(TableRowMaker maker, InstanceResult[] group)
    {
        try
        {
            foreach (var result in group)
            {
                switch (await maker.WriteAsync(Bytes(result), result.PredictionOffset, result.Prediction.Length, _stop.Token).ConfigureAwait(false))
                {
                    case TableRowMaker.Outcome.Written:
                        continue;
                    case TableRowMaker.Outcome.NewColumns:
                        Abandon($"record {maker.Rows} has a column or a type the first records did not have");
                        return;
                    default:
                        Abandon($"the input has {maker.Rows} rows, fewer than the records");
                        return;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // Disposed: nothing of the table is left.
        }
        catch (Exception ex)
        {
            Abandon(ex.Message);
        }
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
        _held = null;
        _handed?.Close();

        _logger.LogInformation("The table {Table} is written from its records once they are complete, not as the run goes: {Reason}", _publication.Table, reason);
    }

    /// <summary>Leaves nothing of the table when <see cref="CompleteAsync"/> did not put it in place.</summary>
    public async ValueTask DisposeAsync()
    {
        _abandoned ??= "disposed";
        _held = null;
        _handed?.Close();
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await DisposeMakerAsync().ConfigureAwait(false);
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

    private async ValueTask DisposeMakerAsync()
    {
        if (_maker is { } maker)
        {
            // Once completed or disposed, the maker's dispose does nothing more.
            await maker.DisposeAsync().ConfigureAwait(false);
        }
    }
}
