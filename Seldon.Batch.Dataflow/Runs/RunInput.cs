namespace Seldon.Batch.Dataflow;

/// <summary>What a run reads its lines from, opened on its range: the lines of a JSON-lines input, or the rows of a table
/// made into the model's lines (<see cref="RowLines"/>). The plan (<see cref="ResumePlan.LinesToSendAsync"/>) takes the
/// lines it sends from here; progress asks how much of the range the lines written are.</summary>
internal sealed class RunInput : IAsyncDisposable
{
    private readonly Func<long, CancellationToken, IAsyncEnumerable<InputLine>> _lines;
    private readonly Func<long, double> _share;
    private readonly IAsyncDisposable _open;

    private RunInput(Func<long, CancellationToken, IAsyncEnumerable<InputLine>> lines, Func<long, double> share, IAsyncDisposable open)
    {
        _lines = lines;
        _share = share;
        _open = open;
    }

    /// <summary>Opens the input of <paramref name="storage"/>'s range for <paramref name="plan"/>'s run. A table's rows
    /// become lines by <paramref name="rows"/> (null for a JSON-lines input); its reader is opened whatever a stop asks
    /// meanwhile (the reading loop hears of a stop at once).</summary>
    public static async Task<RunInput> OpenAsync(RunStorage storage, ResumePlan plan, RowLines? rows, CancellationToken ct)
    {
        if (storage.Table is { } table)
        {
            var reading = await table.OpenAsync(storage.Range, ct).ConfigureAwait(false);
            return new RunInput((skip, token) => reading.LinesAsync(rows!, storage.Range.FirstLine, skip, token), reading.ShareOf, reading);
        }

        var input = await storage.Input.OpenAsync(storage.Version, storage.Range.Start, storage.Range.End, ct).ConfigureAwait(false);
        var position = new LineReader.ReadPosition();
        // The input's line count is told from the stored bytes of the lines read so far per line read (not what was
        // read ahead of them): exactly 1 when every line is read and written.
        return new RunInput(
            (_, token) => plan.JsonLinesAsync(input.Decoded, position, token),
            done =>
            {
                var (lines, bytes) = position.Read();
                return ProgressReporter.ShareOfInput(done, lines, input.StoredBytesOf(bytes), input.Length);
            },
            input);
    }

    /// <summary>A table's rows read from now on hand their values of <paramref name="kept"/>'s columns to it (see
    /// <see cref="TableRows.HandTo"/>).</summary>
    /// <exception cref="InvalidOperationException">The input is JSON lines, not a table.</exception>
    public void HandTo(KeptValues kept) =>
        (_open as TableRows ?? throw new InvalidOperationException("a JSON-lines input has no columns to hand")).HandTo(kept);

    /// <summary>The range's lines after the first <paramref name="skip"/>, numbered by their place in the whole input.</summary>
    public IAsyncEnumerable<InputLine> LinesFrom(long skip, CancellationToken ct) => _lines(skip, ct);

    /// <summary>The share of the range that <paramref name="done"/> lines written (a resumed prefix's included) are.</summary>
    public double ShareOf(long done) => _share(done);

    public ValueTask DisposeAsync() => _open.DisposeAsync();
}
