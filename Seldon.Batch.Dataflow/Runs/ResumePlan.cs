using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>Where a run starts and what it may keep: a fresh run, a continued one after the valid prefix of the partial
/// output an interrupted run left (a side file, or the parts a multipart upload's checkpoint records; with or without
/// <c>--resume</c>), <c>--retry-failed</c> over the error records of a complete output, or nothing to do. Before
/// anything is kept it checks that the output belongs to this input and these settings (its recorded fingerprint and
/// settings, its batch id, its line count), and refuses with <see cref="InvalidBatchOptionsException"/> otherwise,
/// leaving it untouched; <c>--restart</c> discards it instead. Where the bytes are (file or object, whole input or a
/// shard's range and part) is <see cref="RunStorage"/>'s business: the plan works on any of them.</summary>
internal sealed partial class ResumePlan
{
    private readonly BatchOptions _options;
    private readonly RunStorage _storage;
    private readonly InputFingerprint _input;
    private readonly Mode _mode;
    private readonly bool _rewriteRecord;

    /// <summary>For a resume the prefix kept; for a retry the whole output; for a fresh run nothing.</summary>
    private readonly WrittenPrefix? _kept;

    private bool _completed;

    private ResumePlan(BatchOptions options, RunStorage storage, InputFingerprint input, Mode mode, WrittenPrefix? kept = null, bool rewriteRecord = false)
    {
        _options = options;
        _storage = storage;
        _input = input;
        _mode = mode;
        _kept = kept;
        _rewriteRecord = rewriteRecord;
    }

    private enum Mode
    {
        Fresh,
        Resume,
        RetryFailed,
        NothingToDo,
    }

    /// <summary>The output is already what this run would make.</summary>
    public bool NothingToDo => _mode == Mode.NothingToDo;

    /// <summary>The <c>batch_id</c> of the lines kept; null when none are (the run chooses).</summary>
    public string? BatchId => _kept?.BatchId;

    /// <summary>Output lines kept from the interrupted run a resume continues.</summary>
    public long ResumedLines => _mode == Mode.Resume ? _kept!.Lines : 0;

    /// <summary>The global number of the first line this run writes: the results of the lines before it (sent again
    /// only to fill their micro-batch) are already in the output.</summary>
    public long FirstUnwritten => _storage.Range.FirstLine + ResumedLines;

    /// <summary>The first line this run sends, counted from the start of its range: for a resume the first line of the
    /// micro-batch that holds the first line not kept. Micro-batch k holds lines [k·s, (k+1)·s) of the whole input in
    /// every run (a shard's range starts on a multiple of s), so a model whose answer depends on what shares its request
    /// (a row's position, a batch statistic) answers the resumed lines as one uninterrupted run would. The kept prefix
    /// is not cut back to whole micro-batches instead: the parts of an s3:// output that are uploaded cannot be cut.
    /// A prefix that holds every line sends nothing.</summary>
    private long FirstSent => _mode == Mode.Resume && _kept!.Lines < InputLines ? BatchStartOf(_storage.Range.FirstLine, _kept.Lines, _options.Block.BatchSize) : ResumedLines;

    /// <summary>Lines of this run's range, as a resume counted them.</summary>
    private long InputLines { get; init; } = long.MaxValue;

    /// <summary>The start of the micro-batch of the line <paramref name="kept"/> lines into a range starting at global
    /// line <paramref name="first"/>, counted from the range's start (never before it).</summary>
    private static long BatchStartOf(long first, long kept, int batchSize)
    {
        var next = first + kept;
        return Math.Max(0, next - (next % batchSize) - first);
    }

    /// <summary>What holds the run's work if it does not complete: the partial output; for a retry the output, unchanged.</summary>
    public string UnfinishedPath => _mode == Mode.RetryFailed ? Output.ToString() : _storage.Output.PartialName;

    private StorageLocation Output => _storage.Output.Location;

    private string RetryPath => Output.Path + ".retry";

    /// <summary>Decides where the run of <paramref name="options"/> over <paramref name="storage"/> starts: it continues a
    /// partial output of this input and settings, and replaces a complete output unless <see cref="BatchOptions.Resume"/>
    /// keeps it; <see cref="BatchOptions.Restart"/> discards a partial output (or a shard's published part) first.
    /// Nothing is changed when the plan refuses.</summary>
    public static async Task<ResumePlan> PrepareAsync(BatchOptions options, RunStorage storage, ILogger logger, CancellationToken ct)
    {
        var target = storage.Output;
        if (storage.Input.Location.IsStream || target.Location.IsStream)
        {
            return await PrepareStreamAsync(options, storage, logger, ct).ConfigureAwait(false);
        }

        if (options.RetryFailed)
        {
            return await RetryFailedAsync(options, storage, await storage.FingerprintAsync(countLines: true, logger, ct).ConfigureAwait(false), logger, ct).ConfigureAwait(false);
        }

        if (storage.Plan is not null && await target.ExistsAsync(ct).ConfigureAwait(false))
        {
            if (options.Restart)
            {
                await DiscardPartAsync(storage, logger, ct).ConfigureAwait(false);
            }
            else
            {
                return await PublishedPartAsync(options, storage, logger, ct).ConfigureAwait(false);
            }
        }

        if (await target.HasPartialAsync(ct).ConfigureAwait(false))
        {
            if (!options.Restart)
            {
                return await ResumeAsync(options, storage, await storage.FingerprintAsync(countLines: true, logger, ct).ConfigureAwait(false), logger, ct).ConfigureAwait(false);
            }

            await DiscardAsync(storage, "starting from the first line, as asked", logger, ct).ConfigureAwait(false);
        }

        await SmallObjects.DeleteAsync(storage.Store, RunRecord.PartialPathOf(target.Location), ct).ConfigureAwait(false);
        if (await target.ExistsAsync(ct).ConfigureAwait(false))
        {
            if (options.Resume)
            {
                var input = await storage.FingerprintAsync(countLines: true, logger, ct).ConfigureAwait(false);
                var lines = await CheckCompleteOutputAsync(options, storage, nameof(options.Resume), input, logger, ct).ConfigureAwait(false);
                logger.LogInformation("Nothing to resume: {Output} is complete, {Lines} lines for the {Lines} lines of the input", target.Location, lines, lines);
                return new ResumePlan(options, storage, input, Mode.NothingToDo);
            }

            // A complete output is replaced by a plain run, as ever: the model may have changed since.
            logger.LogInformation("{Output} exists: this run replaces it once it completes", target.Location);
        }
        else if (options.Resume)
        {
            logger.LogInformation("Nothing to resume at {Side}: starting from the first line", target.PartialName);
        }

        return new ResumePlan(options, storage, await storage.FingerprintAsync(countLines: false, logger, ct).ConfigureAwait(false), Mode.Fresh);
    }

    /// <summary>A shard's part is published once: a restarted pod finds its work done, once the part is checked to be
    /// this input's and these settings'.</summary>
    private static async Task<ResumePlan> PublishedPartAsync(BatchOptions options, RunStorage storage, ILogger logger, CancellationToken ct)
    {
        var input = await storage.FingerprintAsync(countLines: false, logger, ct).ConfigureAwait(false);
        var parts = await CheckCompleteOutputAsync(options, storage, null, input, logger, ct).ConfigureAwait(false);
        await DiscardAsync(storage, "the part is already published", logger, ct).ConfigureAwait(false);
        logger.LogInformation("Nothing to do: the part {Part} is already published, {Lines} lines", storage.Output.Location, parts);
        return new ResumePlan(options, storage, input, Mode.NothingToDo);
    }

    /// <summary>Drops the partial output and its record, saying how many lines were lost and <paramref name="why"/>.</summary>
    private static async Task DiscardAsync(RunStorage storage, string why, ILogger logger, CancellationToken ct)
    {
        // Counted, not parsed: a large side file must not hold up the start of the run that replaces it.
        var target = storage.Output;
        if (await target.DiscardPartialAsync(LineReader.CountLinesAsync, ct).ConfigureAwait(false) is { } discarded && discarded > 0)
        {
            logger.LogWarning("Discarding {Lines} lines of the partial output {Side}: {Reason}", discarded, target.PartialName, why);
        }

        await SmallObjects.DeleteAsync(storage.Store, RunRecord.PartialPathOf(target.Location), ct).ConfigureAwait(false);
    }

    private static async Task<ResumePlan> ResumeAsync(BatchOptions options, RunStorage storage, InputFingerprint input, ILogger logger, CancellationToken ct)
    {
        var target = storage.Output;
        var side = target.PartialName;
        var recordAt = RunRecord.PartialPathOf(target.Location);
        var record = await RunRecord.ReadAsync(storage.Store, recordAt, ct).ConfigureAwait(false);
        WrittenPrefix point;
        try
        {
            point = await target.ResumeAsync((stream, token) => PartialOutput.InspectAsync(stream, storage.Range.FirstLine, token), ct).ConfigureAwait(false);
        }
        catch (StorageException ex) when (ex.IsSettingsProblem)
        {
            // The partial output cannot be continued (an upload's checkpoint that is damaged or expired): storage says
            // why, the run says which setting discards it.
            throw InvalidBatchOptionsException.About([nameof(options.Restart)], name =>
                $"{ex.Message}: pass {name(nameof(options.Restart))} to discard it and start from the first line");
        }

        if (point.Lines == 0)
        {
            // Nothing to lose: whatever made it (another input, other settings), the run starts afresh in its place, in
            // the same batch unless another is asked for.
            logger.LogInformation("No complete line in {Side} to keep: starting from the first line", side);
            var sameBatch = string.IsNullOrEmpty(options.Block.BatchId) ? point.BatchId ?? record?.BatchId : null;
            return new ResumePlan(options, storage, input, Mode.Resume, point with { BatchId = sameBatch }, rewriteRecord: true);
        }

        var gaps = CheckRecord(record, input, options, $"{side} holds a partial output", mode: null, compareSettings: true);
        var batchId = point.BatchId ?? record?.BatchId;
        if (batchId is not null && !string.IsNullOrEmpty(options.Block.BatchId) && batchId != options.Block.BatchId)
        {
            throw Refuse(null, [nameof(PredictionBlockOptions.BatchId)], name =>
                $"{side} holds a partial output of batch '{batchId}', not of {name(nameof(PredictionBlockOptions.BatchId))} '{options.Block.BatchId}'");
        }

        var inputLines = await storage.CountInputLinesAsync(ct).ConfigureAwait(false);
        if (point.Lines > inputLines)
        {
            throw Refuse(null, [], _ =>
                $"{side} has {point.Lines} lines but the input {options.InputDataPath} has only {inputLines}, so it belongs to another input");
        }

        LogGaps(logger, gaps, side, recordAt.ToString());
        logger.LogInformation(
            "Continuing the partial output {Side} of batch {BatchId}: {Lines} lines kept ({Failed} of them error records), continuing from line {Lines} of {InputLines}",
            side, batchId, point.Lines, point.Failed, point.Lines, inputLines);
        var batchStart = BatchStartOf(storage.Range.FirstLine, point.Lines, options.Block.BatchSize);
        if (batchStart < point.Lines && point.Lines < inputLines)
        {
            // Said once, so that a user who counts requests knows why a few lines went twice.
            logger.LogInformation(
                "The micro-batch of line {Next} starts at line {Start}: lines {Start} to {Last} are sent again with it (their new answers are not written), so that it is the micro-batch an uninterrupted run sends",
                storage.Range.FirstLine + point.Lines, storage.Range.FirstLine + batchStart, storage.Range.FirstLine + batchStart, storage.Range.FirstLine + point.Lines - 1);
        }

        return new ResumePlan(options, storage, input, Mode.Resume, point with { BatchId = batchId }, rewriteRecord: gaps != RecordGaps.None) { InputLines = inputLines };
    }

    private static async Task<ResumePlan> RetryFailedAsync(BatchOptions options, RunStorage storage, InputFingerprint input, ILogger logger, CancellationToken ct)
    {
        // The failed lines' new answers are spliced into the output file line by line; an object cannot be rewritten in
        // place, and a shard's part is joined by merge: retry the merged output instead.
        if (storage.Output.Location.IsObject || storage.Plan is not null)
        {
            throw InvalidBatchOptionsException.About(
                nameof(options.RetryFailed),
                " works on a local output file of a whole run, not on an s3:// output or a shard's part: " +
                "copy the object to a file (or merge the shards first) and retry the failed lines of that file");
        }

        var output = storage.Output.Location.Path!;
        if (await storage.Output.HasPartialAsync(ct).ConfigureAwait(false))
        {
            throw InvalidBatchOptionsException.About([nameof(options.RetryFailed), nameof(options.Resume)], name =>
                $"{name(nameof(options.RetryFailed))}: an unfinished run left {storage.Output.PartialName}; finish it with {name(nameof(options.Resume))} first, then retry its failed lines");
        }

        if (!await storage.Output.ExistsAsync(ct).ConfigureAwait(false))
        {
            throw InvalidBatchOptionsException.About(nameof(options.RetryFailed), $": there is no output at {output} whose failed lines could be sent again");
        }

        var lines = await CheckCompleteOutputAsync(options, storage, nameof(options.RetryFailed), input, logger, ct).ConfigureAwait(false);
        var whole = await PartialOutput.InspectAsync(output, 0, ct).ConfigureAwait(false);
        if (whole.Lines != lines)
        {
            throw InvalidBatchOptionsException.About(
                nameof(options.RetryFailed), $": line {whole.Lines + 1} of {output} is not the output line of input line {whole.Lines} of one batch; the output is damaged");
        }

        if (whole.Failed == 0)
        {
            logger.LogInformation("Nothing to retry: {Output} has no error records among its {Lines} lines", output, whole.Lines);
            return new ResumePlan(options, storage, input, Mode.NothingToDo);
        }

        logger.LogInformation(
            "Retrying the {Failed} failed lines of {Output} (batch {BatchId}); the other {Succeeded} lines are kept",
            whole.Failed, output, whole.BatchId, whole.Succeeded);
        return new ResumePlan(options, storage, input, Mode.RetryFailed, whole);
    }

    /// <summary>Checks that the complete output belongs to this input and returns its line count; a refusal names
    /// <paramref name="mode"/>, the property that asked to keep the output (<see cref="BatchOptions.Resume"/> or
    /// <see cref="BatchOptions.RetryFailed"/>), or for a shard's published part (null) <see cref="BatchOptions.Restart"/>,
    /// which discards it. Its settings are checked too, unless the failed lines are sent again (in groups of any size).</summary>
    private static async Task<long> CheckCompleteOutputAsync(BatchOptions options, RunStorage storage, string? mode, InputFingerprint input, ILogger logger, CancellationToken ct)
    {
        var output = storage.Output.Location;
        var subject = mode is null ? $"{output} holds the published part" : $"{output} holds the output";
        var recordAt = RunRecord.CompletePathOf(output);
        var record = await RunRecord.ReadAsync(storage.Store, recordAt, ct).ConfigureAwait(false);
        var gaps = CheckRecord(record, input, options, subject, mode, compareSettings: mode != nameof(options.RetryFailed));
        long lines;
        await using (var reading = await storage.OpenOutputAsync(ct).ConfigureAwait(false))
        {
            lines = await LineReader.CountLinesAsync(reading.Decoded, ct).ConfigureAwait(false);
        }

        var inputLines = await storage.CountInputLinesAsync(ct).ConfigureAwait(false);
        if (lines != inputLines)
        {
            throw Refuse(mode, [], _ => $"{output} has {lines} lines but the input {options.InputDataPath} has {inputLines}, so it belongs to another input");
        }

        var batchId = record?.BatchId;
        if (batchId is null)
        {
            await using var reading = await storage.OpenOutputAsync(ct).ConfigureAwait(false);
            batchId = (await PartialOutput.InspectAsync(reading.Decoded, storage.Range.FirstLine, ct).ConfigureAwait(false)).BatchId;
        }

        if (batchId is not null && !string.IsNullOrEmpty(options.Block.BatchId) && batchId != options.Block.BatchId)
        {
            throw Refuse(mode, [nameof(PredictionBlockOptions.BatchId)], name =>
                $"{subject} of batch '{batchId}', not of {name(nameof(PredictionBlockOptions.BatchId))} '{options.Block.BatchId}'");
        }

        LogGaps(logger, gaps, output.ToString(), recordAt.ToString());
        return lines;
    }

    /// <summary>Records what the partial output is made from, before its first line is written.</summary>
    public async Task StartAsync(string batchId, CancellationToken ct)
    {
        if ((_mode == Mode.Fresh || _rewriteRecord) && !ToStream)
        {
            await new RunRecord(batchId, _options.InputDataPath, _input, null, RunSettings.Of(_options), TableSettings.Of(_options)).WriteAsync(_storage.Store, RunRecord.PartialPathOf(Output), ct).ConfigureAwait(false);
        }
    }

    /// <summary>Opens where this run writes its lines: the partial output after the prefix kept (a side file cut after
    /// its last valid line, or the multipart upload after its last part), or for a retry a file of the new answers
    /// of the failed lines.</summary>
    public async Task<Stream> OpenOutputAsync(string batchId, CancellationToken ct)
    {
        if (_mode == Mode.RetryFailed)
        {
            return new FileStream(RetryPath, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16, FileOptions.Asynchronous);
        }

        var start = _mode == Mode.Resume ? _kept! : WrittenPrefix.None;
        return await _storage.Output.OpenAsync(start, batchId, PartialOutput.FailuresIn, ct).ConfigureAwait(false);
    }

    /// <summary>The input lines this run sends, numbered by their global position in the input (a shard's first line is
    /// its range's), from <paramref name="lines"/>: given how many lines of this run's range to skip, it yields the range's
    /// lines after them, numbered so (a JSON-lines input reads past them; a table skips them unread where it can).</summary>
    public async IAsyncEnumerable<InputLine> LinesToSendAsync(Func<long, CancellationToken, IAsyncEnumerable<InputLine>> lines, [EnumeratorCancellation] CancellationToken ct)
    {
        var wanted = _mode == Mode.RetryFailed ? _kept!.FailedLines : null;
        var first = _storage.Range.FirstLine;
        var next = 0;
        var skip = wanted is null ? FirstSent : wanted.Count > 0 ? wanted[0] : 0;
        await foreach (var line in lines(skip, ct).ConfigureAwait(false))
        {
            var at = line.Index - first;
            if (wanted is null)
            {
                if (at >= FirstSent)
                {
                    yield return line;
                }
            }
            else if (wanted[next] == at)
            {
                yield return line;
                if (++next == wanted.Count)
                {
                    yield break;
                }
            }
        }
    }

    /// <summary>The lines of a JSON-lines input: <paramref name="input"/>, the decoded bytes of this run's range, read
    /// from their start (lines cannot be skipped unread), numbered from the range's first line.</summary>
    public IAsyncEnumerable<InputLine> JsonLinesAsync(Stream input, LineReader.ReadPosition position, CancellationToken ct) =>
        LineReader.ReadInputLinesAsync(input, position, _storage.Range.Start == 0, _storage.Range.FirstLine, ct);

    /// <summary>The share of the work done once <paramref name="written"/> lines are written by this run: of the
    /// failed lines for a retry; else of the input's lines, as <paramref name="shareOfInput"/> tells it from the lines in
    /// place (a resumed prefix's too).</summary>
    public double Fraction(long written, Func<long, double> shareOfInput) =>
        _mode == Mode.RetryFailed ? Math.Min(1, (double)written / _kept!.Failed) : shareOfInput(ResumedLines + written);

    /// <summary>Error records in the output once this run wrote <paramref name="failed"/>: a resumed prefix's count too.</summary>
    public long Failed(long failed) => _mode == Mode.Resume ? _kept!.Failed + failed : failed;

    /// <summary>Output lines in place once <paramref name="written"/> are written by this run.</summary>
    public long LinesWritten(long written) => ResumedLines + written;

    /// <summary>Puts the complete output in place, whole or not at all, and records what it was made from. A shard's
    /// part is published once: a second run of the same shard fails instead of replacing it.</summary>
    /// <param name="batchId">The <c>batch_id</c> of the lines.</param>
    /// <param name="written">Lines this run wrote.</param>
    /// <param name="ct">Cancels the record's writing.</param>
    public async Task CompleteAsync(string batchId, long written, CancellationToken ct)
    {
        _completed = true;
        if (_mode == Mode.RetryFailed)
        {
            var output = Output.Path!;
            var merged = output + ".retry.tmp";
            Merge(output, RetryPath, merged, _kept!.FailedLines);
            File.Move(merged, output, overwrite: true);
            File.Delete(RetryPath);
            return;
        }

        if (ToStream)
        {
            // Every line is out already: nothing to record or publish.
            return;
        }

        // The complete record first: a crash before the publish leaves a partial output --resume completes, one after
        // it an output whose record is already right.
        await new RunRecord(batchId, _options.InputDataPath, _input, ResumedLines + written, RunSettings.Of(_options), TableSettings.Of(_options))
            .WriteAsync(_storage.Store, RunRecord.CompletePathOf(Output), ct).ConfigureAwait(false);
        await _storage.Output.PublishAsync(exclusive: _storage.Plan is not null, ct).ConfigureAwait(false);
        await SmallObjects.DeleteAsync(_storage.Store, RunRecord.PartialPathOf(Output), ct).ConfigureAwait(false);
    }

    /// <summary>Copies <paramref name="output"/> to <paramref name="target"/> with line k of <paramref name="failed"/>
    /// replaced by the next line of <paramref name="answers"/>.</summary>
    private static void Merge(string output, string answers, string target, IReadOnlyList<long> failed)
    {
        using var kept = new StreamReader(output);
        using var sentAgain = new StreamReader(answers);
        using var merged = new StreamWriter(target, append: false, new System.Text.UTF8Encoding(false), 1 << 16);
        var next = 0;
        for (long k = 0; kept.ReadLine() is { } line; k++)
        {
            if (next < failed.Count && failed[next] == k)
            {
                line = sentAgain.ReadLine() ?? throw new InvalidDataException($"{answers} has no new answer for line {k}");
                next++;
            }

            merged.Write(line);
            merged.Write('\n');
        }
    }

    /// <summary>Says what an unfinished run leaves and how to go on; a retry leaves the output as it was.</summary>
    public void Abandon(ILogger logger, RunSummary summary)
    {
        if (_mode == Mode.RetryFailed)
        {
            File.Delete(RetryPath);
            logger.LogWarning("{Output} is unchanged; retry its failed lines again to send them", Output);
            return;
        }

        if (FromStream || ToStream)
        {
            AbandonStream(logger, summary);
            return;
        }

        if (Output.IsObject)
        {
            // Only whole parts are kept: the lines of the part still being filled are predicted again.
            logger.LogWarning(
                "{Lines} lines were answered; those in the parts uploaded so far are kept in {Side}; run again with the same settings to continue after them",
                ResumedLines + summary.Instances, _storage.Output.PartialName);
            return;
        }

        logger.LogWarning(
            "{Lines} lines are in {Side}; run again with the same settings to continue from line {Next}",
            ResumedLines + summary.Instances, _storage.Output.PartialName, ResumedLines + summary.Instances);
    }

    /// <summary>Adds what was kept to the counts of this run: a resumed run's summary counts the prefix's error
    /// records; a retry that replaced the output counts the whole output and says how many lines were sent again and
    /// fixed (one that did not changed nothing).</summary>
    public RunSummary Account(RunSummary summary)
    {
        switch (_mode)
        {
            case Mode.Resume:
                return summary with
                {
                    ResumedLines = _kept!.Lines,
                    Succeeded = summary.Succeeded + _kept.Succeeded,
                    Failed = summary.Failed + _kept.Failed,
                    FailuresByKind = Sum(summary.FailuresByKind, _kept.FailuresByKind),
                };
            case Mode.RetryFailed when _completed:
                return summary with { RetriedLines = summary.Instances, FixedLines = summary.Succeeded, Succeeded = summary.Succeeded + _kept!.Succeeded };
            default:
                return summary;
        }
    }

    /// <summary>Whether this run sends the failed lines of a complete output again (it has no partial output of its own).</summary>
    public bool IsRetry => _mode == Mode.RetryFailed;

    /// <summary>Whether this run put its complete output in place (<see cref="CompleteAsync"/>).</summary>
    public bool Completed => _completed;

    /// <summary>Drops the partial output and its record when they hold nothing (no line kept, none of this run's on
    /// disk or uploaded): a run that stopped before its first line leaves no empty side file or upload that would only
    /// invite a <c>--resume</c> of nothing. True when it did; a retry never does (it leaves the output as it was).</summary>
    /// <param name="ct">Cancels the removal.</param>
    public async Task<bool> DiscardIfEmptyAsync(CancellationToken ct)
    {
        if (_mode is not (Mode.Fresh or Mode.Resume) || _completed || ResumedLines > 0 || ToStream || !_storage.Output.PartialHoldsNothing)
        {
            return false;
        }

        await _storage.Output.DiscardPartialAsync(null, ct).ConfigureAwait(false);
        await SmallObjects.DeleteAsync(_storage.Store, RunRecord.PartialPathOf(Output), ct).ConfigureAwait(false);
        return true;
    }

    private static SortedDictionary<string, long> Sum(IReadOnlyDictionary<string, long> a, IReadOnlyDictionary<string, long> b)
    {
        var sum = new SortedDictionary<string, long>(a.ToDictionary(), StringComparer.Ordinal);
        foreach (var (kind, count) in b)
        {
            sum[kind] = sum.GetValueOrDefault(kind) + count;
        }

        return sum;
    }
}
