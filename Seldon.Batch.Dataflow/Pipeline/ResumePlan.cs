using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow.Protocol;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>Where a file run starts and what it may keep: a fresh run (an old side file is discarded, and said so),
/// <c>--resume</c> after the valid prefix of the side file, <c>--retry-failed</c> over the error records of a complete
/// output, or nothing to do. Before anything is kept it checks that the output belongs to this input (its recorded
/// fingerprint, its batch id, its line count), and refuses with <see cref="InvalidBatchOptionsException"/> otherwise.</summary>
internal sealed class ResumePlan
{
    private readonly BatchOptions _options;
    private readonly InputFingerprint _input;
    private readonly Mode _mode;
    private readonly bool _recordMissing;

    /// <summary>For a resume the prefix kept; for a retry the whole output; for a fresh run nothing.</summary>
    private readonly ResumePoint? _kept;

    private bool _completed;

    private ResumePlan(BatchOptions options, InputFingerprint input, Mode mode, ResumePoint? kept = null, bool recordMissing = false)
    {
        _options = options;
        _input = input;
        _mode = mode;
        _kept = kept;
        _recordMissing = recordMissing;
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

    /// <summary>Where this run writes its lines: the side file, or for a retry the new answers of the failed lines.</summary>
    public string WritePath => _mode == Mode.RetryFailed ? RetryPathOf(_options.OutputDataPath) : SidePath;

    /// <summary>Whether the lines go after those already in <see cref="WritePath"/>.</summary>
    public bool Append => _mode == Mode.Resume;

    /// <summary>What holds the run's work if it does not complete: the side file; for a retry the output, unchanged.</summary>
    public string UnfinishedPath => _mode == Mode.RetryFailed ? _options.OutputDataPath : SidePath;

    private string SidePath => PartialOutput.SidePathOf(_options.OutputDataPath);

    private static string RetryPathOf(string outputPath) => outputPath + ".retry";

    /// <summary>Decides where the run of <paramref name="options"/> starts; cuts a line torn by a crash off the side
    /// file it resumes, deletes the side file a fresh run replaces.</summary>
    public static async Task<ResumePlan> PrepareAsync(BatchOptions options, ILogger logger, CancellationToken ct)
    {
        var output = options.OutputDataPath;
        var side = PartialOutput.SidePathOf(output);
        var input = await InputFingerprint.OfAsync(options.InputDataPath, ct).ConfigureAwait(false);
        if (options.RetryFailed)
        {
            return await RetryFailedAsync(options, input, logger, ct).ConfigureAwait(false);
        }

        if (!options.Resume)
        {
            if (File.Exists(side))
            {
                // Counted, not parsed: a large side file must not hold up the start of the run that replaces it.
                var discarded = await LineReader.CountLinesAsync(side, ct).ConfigureAwait(false);
                if (discarded > 0)
                {
                    logger.LogWarning(
                        "Discarding {Lines} lines of a previous partial output at {Side}; use --resume to continue a partial output instead of starting over",
                        discarded, side);
                }

                File.Delete(side);
            }

            File.Delete(RunRecord.PartialPathOf(output));
            return new ResumePlan(options, input, Mode.Fresh);
        }

        if (File.Exists(side))
        {
            return await ResumeAsync(options, input, logger, ct).ConfigureAwait(false);
        }

        File.Delete(RunRecord.PartialPathOf(output));
        if (File.Exists(output))
        {
            var lines = await CheckCompleteOutputAsync(options, "--resume", input, logger, ct).ConfigureAwait(false);
            logger.LogInformation("Nothing to resume: {Output} is complete, {Lines} lines for the {Lines} lines of the input", output, lines, lines);
            return new ResumePlan(options, input, Mode.NothingToDo);
        }

        logger.LogInformation("Nothing to resume at {Side}: starting from the first line", side);
        return new ResumePlan(options, input, Mode.Fresh);
    }

    private static async Task<ResumePlan> ResumeAsync(BatchOptions options, InputFingerprint input, ILogger logger, CancellationToken ct)
    {
        var side = PartialOutput.SidePathOf(options.OutputDataPath);
        var record = await RunRecord.ReadAsync(RunRecord.PartialPathOf(options.OutputDataPath), ct).ConfigureAwait(false);
        if (record is not null && record.Input != input)
        {
            throw new InvalidBatchOptionsException(
                $"--resume: the partial output {side} was started from another input ({record.InputPath}: {record.Input}), " +
                $"not from {options.InputDataPath} ({input}); run without --resume to start over");
        }

        var point = await PartialOutput.InspectAsync(side, ct).ConfigureAwait(false);
        var batchId = point.BatchId ?? record?.BatchId;
        if (batchId is not null && !string.IsNullOrEmpty(options.BatchId) && batchId != options.BatchId)
        {
            throw new InvalidBatchOptionsException(
                $"--resume: the partial output {side} belongs to batch '{batchId}', not to --batch-id '{options.BatchId}'");
        }

        var inputLines = await LineReader.CountLinesAsync(options.InputDataPath, ct).ConfigureAwait(false);
        if (point.Lines > inputLines)
        {
            throw new InvalidBatchOptionsException(
                $"--resume: the partial output {side} has {point.Lines} lines but the input {options.InputDataPath} has only {inputLines}: " +
                "it belongs to another input; run without --resume to start over");
        }

        await using (var file = new FileStream(side, FileMode.Open, FileAccess.Write))
        {
            if (file.Length > point.Bytes)
            {
                logger.LogWarning("Cutting {Bytes} bytes after the last complete line of {Side}", file.Length - point.Bytes, side);
                file.SetLength(point.Bytes);
            }
        }

        if (record is null)
        {
            logger.LogWarning(
                "The partial output {Side} has no record of its input ({Record}): it is only checked against the input's line count",
                side, RunRecord.PartialPathOf(options.OutputDataPath));
        }

        if (point.Lines == 0)
        {
            logger.LogInformation("No complete line in {Side} to keep: starting from the first line", side);
        }
        else
        {
            logger.LogInformation(
                "Resuming batch {BatchId}: {Lines} lines already written ({Failed} of them error records), continuing from line {Lines} of {InputLines}",
                batchId, point.Lines, point.Failed, point.Lines, inputLines);
        }

        return new ResumePlan(options, input, Mode.Resume, point with { BatchId = batchId }, recordMissing: record is null);
    }

    private static async Task<ResumePlan> RetryFailedAsync(BatchOptions options, InputFingerprint input, ILogger logger, CancellationToken ct)
    {
        var output = options.OutputDataPath;
        var side = PartialOutput.SidePathOf(output);
        if (File.Exists(side))
        {
            throw new InvalidBatchOptionsException(
                $"--retry-failed: an unfinished run left {side}; finish it with --resume first, then retry its failed lines");
        }

        if (!File.Exists(output))
        {
            throw new InvalidBatchOptionsException($"--retry-failed: there is no output at {output} whose failed lines could be sent again");
        }

        var lines = await CheckCompleteOutputAsync(options, "--retry-failed", input, logger, ct).ConfigureAwait(false);
        var whole = await PartialOutput.InspectAsync(output, ct).ConfigureAwait(false);
        if (whole.Lines != lines)
        {
            throw new InvalidBatchOptionsException(
                $"--retry-failed: line {whole.Lines + 1} of {output} is not the output line of input line {whole.Lines} of one batch; the output is damaged");
        }

        if (whole.Failed == 0)
        {
            logger.LogInformation("Nothing to retry: {Output} has no error records among its {Lines} lines", output, whole.Lines);
            return new ResumePlan(options, input, Mode.NothingToDo);
        }

        logger.LogInformation(
            "Retrying the {Failed} failed lines of {Output} (batch {BatchId}); the other {Succeeded} lines are kept",
            whole.Failed, output, whole.BatchId, whole.Succeeded);
        return new ResumePlan(options, input, Mode.RetryFailed, whole);
    }

    /// <summary>Checks that the complete output belongs to this input and returns its line count.</summary>
    private static async Task<long> CheckCompleteOutputAsync(BatchOptions options, string flag, InputFingerprint input, ILogger logger, CancellationToken ct)
    {
        var output = options.OutputDataPath;
        var record = await RunRecord.ReadAsync(RunRecord.CompletePathOf(output), ct).ConfigureAwait(false);
        if (record is not null && record.Input != input)
        {
            throw new InvalidBatchOptionsException(
                $"{flag}: {output} was made from another input ({record.InputPath}: {record.Input}), not from {options.InputDataPath} ({input}); " +
                "run without it to make the output of this input");
        }

        var lines = await LineReader.CountLinesAsync(output, ct).ConfigureAwait(false);
        var inputLines = await LineReader.CountLinesAsync(options.InputDataPath, ct).ConfigureAwait(false);
        if (lines != inputLines)
        {
            throw new InvalidBatchOptionsException(
                $"{flag}: {output} has {lines} lines but the input {options.InputDataPath} has {inputLines}: it belongs to another input; " +
                "run without it to make the output of this input");
        }

        var batchId = record?.BatchId ?? (await PartialOutput.InspectAsync(output, ct).ConfigureAwait(false)).BatchId;
        if (batchId is not null && !string.IsNullOrEmpty(options.BatchId) && batchId != options.BatchId)
        {
            throw new InvalidBatchOptionsException($"{flag}: {output} belongs to batch '{batchId}', not to --batch-id '{options.BatchId}'");
        }

        if (record is null)
        {
            logger.LogWarning(
                "{Output} has no record of its input ({Record}): it is only checked against the input's line count",
                output, RunRecord.CompletePathOf(output));
        }

        return lines;
    }

    /// <summary>Records what the side file is made from, before its first line is written.</summary>
    public async Task StartAsync(string batchId, CancellationToken ct)
    {
        if (_mode == Mode.Fresh || _recordMissing)
        {
            await new RunRecord(batchId, _options.InputDataPath, _input, null).WriteAsync(RunRecord.PartialPathOf(_options.OutputDataPath), ct).ConfigureAwait(false);
        }
    }

    /// <summary>The input lines this run sends, numbered by their position in the input.</summary>
    public async IAsyncEnumerable<InputLine> LinesToSendAsync(LineReader.ReadPosition position, [EnumeratorCancellation] CancellationToken ct)
    {
        var wanted = _mode == Mode.RetryFailed ? _kept!.FailedLines : null;
        var next = 0;
        long index = 0;
        await foreach (var text in LineReader.ReadLinesAsync(_options.InputDataPath, position, ct).ConfigureAwait(false))
        {
            var k = index++;
            if (wanted is null)
            {
                if (k >= ResumedLines)
                {
                    yield return new InputLine(k, text);
                }
            }
            else if (wanted[next] == k)
            {
                yield return new InputLine(k, text);
                if (++next == wanted.Count)
                {
                    yield break;
                }
            }
        }
    }

    /// <summary>The share of the work done once <paramref name="written"/> lines are written by this run: of the
    /// failed lines for a retry; else of the input's lines, whose count is told from the bytes read per line read
    /// (exactly 1 when every line is read and written).</summary>
    public double Fraction(long written, LineReader.ReadPosition position, long inputLength)
    {
        if (_mode == Mode.RetryFailed)
        {
            return Math.Min(1, (double)written / _kept!.Failed);
        }

        return ProgressReporter.ShareOfInput(ResumedLines + written, position.Lines, position.Bytes, inputLength);
    }

    /// <summary>Error records in the output once this run wrote <paramref name="failed"/>: a resumed prefix's count too.</summary>
    public long Failed(long failed) => _mode == Mode.Resume ? _kept!.Failed + failed : failed;

    /// <summary>Output lines in place once <paramref name="written"/> are written by this run.</summary>
    public long LinesWritten(long written) => ResumedLines + written;

    /// <summary>Puts the complete output in place, whole or not at all, and records what it was made from.</summary>
    /// <param name="batchId">The <c>batch_id</c> of the lines.</param>
    /// <param name="written">Lines this run wrote.</param>
    /// <param name="ct">Cancels the record's writing.</param>
    public async Task CompleteAsync(string batchId, long written, CancellationToken ct)
    {
        _completed = true;
        var output = _options.OutputDataPath;
        if (_mode == Mode.RetryFailed)
        {
            var merged = output + ".retry.tmp";
            Merge(output, WritePath, merged, _kept!.FailedLines);
            File.Move(merged, output, overwrite: true);
            File.Delete(WritePath);
            return;
        }

        // The complete record first: a crash before the move leaves a side file --resume completes, one after it an
        // output whose record is already right.
        await new RunRecord(batchId, _options.InputDataPath, _input, ResumedLines + written).WriteAsync(RunRecord.CompletePathOf(output), ct).ConfigureAwait(false);
        File.Move(SidePath, output, overwrite: true);
        File.Delete(RunRecord.PartialPathOf(output));
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
            File.Delete(WritePath);
            logger.LogWarning("{Output} is unchanged; run --retry-failed again to send its failed lines", _options.OutputDataPath);
            return;
        }

        logger.LogWarning(
            "{Lines} lines are in {Side}; run again with the same settings and --resume to continue from line {Next}",
            ResumedLines + summary.Instances, SidePath, ResumedLines + summary.Instances);
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
