using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Seldon.Batch.Dataflow;

/// <summary>Joins the parts of a sharded run into its output (<c>seldon-batch-processor merge</c>): checks that every
/// part is complete and holds exactly its planned lines, numbered with their global <c>batch_index</c>, then joins
/// them in order and adds up the shards' summaries.</summary>
internal static class ShardMerge
{
    /// <summary>Checks and joins the parts; returns the shards' summaries added up (latencies: the worst shard's).</summary>
    /// <param name="options">Which output and how many shards.</param>
    /// <param name="tuning">The store's sizes: S3's, or a test's.</param>
    /// <param name="tables">The formats a table output is written with; <see cref="TableFiles.Default"/> when null.</param>
    /// <param name="cancellationToken">Cancels the merge; the output then does not appear.</param>
    /// <exception cref="InvalidBatchOptionsException">The merge cannot be done as asked: a malformed URL, no shard plan
    /// (or several, with no <see cref="MergeOptions.ShardCount"/> to choose), no bucket, a part missing or not holding
    /// its planned lines (its shard must run, or run again).</exception>
    /// <exception cref="IOException">The store failed.</exception>
    /// <exception cref="OutputInUseException">Another run or merge is writing the output; nothing was changed.</exception>
    public static async Task<RunSummary> MergeAsync(MergeOptions options, StorageTuning tuning, TableFiles? tables, CancellationToken cancellationToken)
    {
        if (StorageLocation.IsStreamName(options.OutputDataPath))
        {
            throw InvalidBatchOptionsException.About(nameof(options.OutputDataPath),
                " -: a stream cannot be merged into: merge joins the parts a sharded run wrote next to its output (<output>.parts/), and the standard output has none; give the output the shards were given");
        }

        if (options.ShardCount < 0)
        {
            throw InvalidBatchOptionsException.About(nameof(options.ShardCount), $" must be at least 1, not {options.ShardCount}");
        }

        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(ShardMerge).FullName!);
        using var store = new ObjectStore(options.S3Endpoint, tuning.MergePartBytes, tuning);
        try
        {
            var output = StorageLocation.Parse(options.OutputDataPath);
            var shardCount = options.ShardCount == 0 ? await CountShardsAsync(output, store, cancellationToken).ConfigureAwait(false) : options.ShardCount;
            // The shards of a table output wrote records: the parts are joined into the table's records, and the table
            // is written from them, as a whole run writes it.
            var table = await TableOfPartsAsync(output, shardCount, store, tables ?? TableFiles.Default, options.SettingName, cancellationToken).ConfigureAwait(false);
            var joined = table?.Output.Records ?? output;
            // The merged output is written like a run's: one writer at a time, held until it is published.
            await using var held = await OutputLock.AcquireAsync(joined, store, null, TimeProvider.System, logger, cancellationToken).ConfigureAwait(false);
            var summary = await MergePartsAsync(output, joined, shardCount, store, logger, cancellationToken).ConfigureAwait(false);
            if (table is { } written && summary.OutputPath == joined.ToString())
            {
                summary = summary with { OutputPath = await WriteTableAsync(written.Output, written.Record, shardCount, output, store, held, logger, cancellationToken).ConfigureAwait(false) };
            }

            if (!string.IsNullOrWhiteSpace(options.SummaryPath))
            {
                await File.WriteAllTextAsync(options.SummaryPath, summary.ToJson() + "\n", Encoding.UTF8, cancellationToken).ConfigureAwait(false);
            }

            return summary;
        }
        catch (StorageException ex) when (ex.IsSettingsProblem)
        {
            throw new InvalidBatchOptionsException(ex.Message);
        }
    }

    /// <summary>Joins the parts next to <paramref name="output"/> into <paramref name="joined"/> (the output, or a table
    /// output's records); the summary names <paramref name="joined"/>, or the output when one shard wrote it itself.</summary>
    private static async Task<RunSummary> MergePartsAsync(StorageLocation output, StorageLocation joined, int shardCount, ObjectStore store, ILogger logger, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        var planLocation = ShardPlan.LocationOf(output, shardCount);
        var published = await SmallObjects.ReadAsync(store, planLocation, ct).ConfigureAwait(false);
        if (published is null && shardCount == 1)
        {
            // One shard is a plain run: it wrote the output itself (a table: its records and the table) and there is
            // nothing to join.
            var records = TableFormats.Resolve(TableFormat.Auto, output.ToString()).IsTable() && await ExistsAsync(TableOutput.RecordsOf(output), store, ct).ConfigureAwait(false)
                ? TableOutput.RecordsOf(output)
                : output;
            var lines = await CountLinesAsync(records, store, ct).ConfigureAwait(false);
            logger.LogInformation("One shard wrote {Output} itself ({Lines} lines): nothing to merge", output, lines);
            return new RunSummary { OutputPath = output.ToString(), Instances = lines, Elapsed = started.Elapsed };
        }

        var plan = ShardPlan.Parse(
            published ?? throw InvalidBatchOptionsException.About([nameof(MergeOptions.OutputDataPath), nameof(MergeOptions.ShardCount)], name =>
                $"there is no shard plan at {planLocation}: did the shards run with this {name(nameof(MergeOptions.OutputDataPath))} and {name(nameof(MergeOptions.ShardCount))} {shardCount}?"),
            planLocation);

        var parts = new List<(StorageLocation Location, long Bytes)>();
        var summaries = new List<JsonElement>();
        for (var k = 0; k < shardCount; k++)
        {
            var range = plan.Ranges[k];
            var part = ShardPlan.PartOf(output, k, shardCount);
            var bytes = await CheckPartAsync(part, k, range, plan.BatchId, store, ct).ConfigureAwait(false);
            await CheckInputFormatAsync(part, k, plan, planLocation, store, ct).ConfigureAwait(false);
            parts.Add((part, bytes));
            if (await SmallObjects.ReadAsync(store, ShardPlan.SummaryOf(output, k, shardCount), ct).ConfigureAwait(false) is { } summary)
            {
                summaries.Add(JsonDocument.Parse(summary).RootElement.Clone());
            }
            else
            {
                logger.LogWarning("Shard {Index} left no summary next to its part: the combined summary leaves it out", k);
            }
        }

        var copied = await PartJoiner.JoinAsync(store, parts, joined, ct).ConfigureAwait(false);
        logger.LogInformation(
            "Merged {Count} parts ({Lines} lines) into {Output}{How}", shardCount, plan.Lines, joined, copied ? " by server-side copy" : "");
        return Combine(summaries, joined.ToString(), started.Elapsed);
    }

    /// <summary>The table output the shards wrote the records of, as the record of the first part describes it (its
    /// input, the table's format and kept columns); null when they wrote a JSON-lines output. Without a record (deleted,
    /// or none was published yet) a table output is told by its name, and refused: the table needs the input.</summary>
    private static async Task<(TableOutput Output, RunRecord Record)?> TableOfPartsAsync(
        StorageLocation output, int shardCount, ObjectStore store, TableFiles tables, Func<string, string>? name, CancellationToken ct)
    {
        var recordAt = RunRecord.CompletePathOf(ShardPlan.PartOf(output, 0, shardCount));
        if (await RunRecord.ReadAsync(store, recordAt, ct).ConfigureAwait(false) is { } record)
        {
            return record.Table is { } settings ? (TableOutput.Of(output, settings, tables, name), record) : null;
        }

        var byName = TableFormats.Resolve(TableFormat.Auto, output.ToString());
        if (!byName.IsTable() || (shardCount == 1 && await SmallObjects.ReadAsync(store, ShardPlan.LocationOf(output, 1), ct).ConfigureAwait(false) is null))
        {
            return null;
        }

        throw InvalidBatchOptionsException.About([nameof(BatchOptions.ShardIndex)], setting =>
            $"{recordAt} is missing: shard 0 has not completed, and the {byName} table {output} is written from the input its record names; run it ({setting(nameof(BatchOptions.ShardIndex))} 0), then merge again");
    }

    /// <summary>Writes the table from the joined records and the input the shards read (the version they planned on);
    /// returns where it is.</summary>
    private static async Task<string> WriteTableAsync(
        TableOutput table, RunRecord record, int shardCount, StorageLocation output, ObjectStore store, OutputLock held, ILogger logger, CancellationToken ct)
    {
        var input = InputSource.Create(StorageLocation.Parse(record.InputPath), table.Settings.InputGzip ? InputCompression.Gzip : InputCompression.None, store);
        var version = await input.DescribeAsync(ct).ConfigureAwait(false);
        var planLocation = ShardPlan.LocationOf(output, shardCount);
        if (await SmallObjects.ReadAsync(store, planLocation, ct).ConfigureAwait(false) is { } published && ShardPlan.Parse(published, planLocation).InputTag is var planned && planned != version.Tag)
        {
            throw StorageException.Settings(
                $"{input.Location} changed since the shards read it (version {planned}, now {version.Tag}): its rows would not match their predictions in {table.Records}, so the table {table.Table} is not written; run every shard again");
        }

        try
        {
            logger.LogInformation("Writing the table {Table} from its records {Records} and the input {Input}", table.Table, table.Records, input.Location);
            var rows = await table.PublishAsync(store, input, version, held, ct).ConfigureAwait(false);
            logger.LogInformation("Wrote the table {Table}: {Rows} rows", table.Table, rows);
            return table.Table.ToString();
        }
        catch (Exception ex) when (StorageException.From(ex) is { } failure)
        {
            var message = $"the table {table.Table} could not be written: {failure.Message}; the parts are joined in {table.Records}: merge again once the cause is fixed";
            throw failure.IsSettingsProblem ? StorageException.Settings(message, ex) : StorageException.Failure(message, ex);
        }
    }

    private static async Task<bool> ExistsAsync(StorageLocation location, ObjectStore store, CancellationToken ct) =>
        location.IsObject ? await S3Objects.ExistsAsync(store, location, ct).ConfigureAwait(false) : File.Exists(location.Path);

    /// <summary>How many shards wrote parts next to <paramref name="output"/>, from the plan they published there; 1 when
    /// there is none but the output exists (a run of one shard wrote it itself). Asks for the count when the plans do
    /// not tell it: none at all, or plans of several counts.</summary>
    private static async Task<int> CountShardsAsync(StorageLocation output, ObjectStore store, CancellationToken ct)
    {
        var counts = await ShardPlan.CountsPlannedAsync(output, store, ct).ConfigureAwait(false);
        switch (counts.Count)
        {
            case 1:
                return counts[0];
            case > 1:
                throw InvalidBatchOptionsException.About([nameof(MergeOptions.ShardCount)], name =>
                    $"{output}.parts/ holds the plans of {string.Join(" and ", counts)} shards: say which to merge with {name(nameof(MergeOptions.ShardCount))}");
        }

        var exists = output.IsObject ? await S3Objects.ExistsAsync(store, output, ct).ConfigureAwait(false) : File.Exists(output.Path);
        return exists
            ? 1
            : throw InvalidBatchOptionsException.About([nameof(MergeOptions.OutputDataPath), nameof(MergeOptions.ShardCount)], name =>
                $"there are no parts to merge at {output}.parts/ (no shard plan, plan-of-0000N.json): did the shards run with this " +
                $"{name(nameof(MergeOptions.OutputDataPath))}? Give their {name(nameof(MergeOptions.ShardCount))} to look for their parts");
    }

    private static async Task<long> CountLinesAsync(StorageLocation location, ObjectStore store, CancellationToken ct)
    {
        var (lines, _, _, _) = await ReadPartAsync(location, store, ct).ConfigureAwait(false);
        return lines;
    }

    /// <summary>Streams a part (or output) once: its line count, first and last lines and size in bytes.</summary>
    private static async Task<(long Lines, string? First, string? Last, long Bytes)> ReadPartAsync(StorageLocation location, ObjectStore store, CancellationToken ct)
    {
        var source = InputSource.Create(location, InputCompression.None, store);
        var version = await source.DescribeAsync(ct).ConfigureAwait(false);
        long lines = 0;
        string? first = null, last = null;
        await using var reading = await source.OpenAsync(version, 0, null, ct).ConfigureAwait(false);
        await foreach (var line in LineReader.ReadLinesAsync(reading.Decoded, null, atStartOfFile: true, ct).ConfigureAwait(false))
        {
            first ??= line;
            last = line;
            lines++;
        }

        return (lines, first, last, version.Length);
    }

    /// <summary>Reads a part once: it must exist and hold the plan's lines for its shard, tagged from the range's first
    /// global line to its last, in the plan's batch. Returns its size in bytes.</summary>
    /// <summary>Reads part <paramref name="index"/> once: it must exist and hold the plan's lines for its shard, tagged from
    /// the range's first global line to its last, in the plan's batch. Returns its size in bytes. A part that is missing
    /// or does not hold its lines is refused with what to do: run that shard (again).</summary>
    private static async Task<long> CheckPartAsync(StorageLocation part, int index, ShardRange range, string batchId, ObjectStore store, CancellationToken ct)
    {
        long lines, bytes;
        string? first, last;
        try
        {
            (lines, first, last, bytes) = await ReadPartAsync(part, store, ct).ConfigureAwait(false);
        }
        catch (StorageException ex) when (ex.IsSettingsProblem)
        {
            throw InvalidBatchOptionsException.About([nameof(BatchOptions.ShardIndex)], name =>
                $"{part} is missing: shard {index} has not completed; run it ({name(nameof(BatchOptions.ShardIndex))} {index}), then merge again");
        }

        if (lines != range.Lines)
        {
            throw Damaged(part, index, $"has {lines} lines, but its shard covers {range.Lines} input lines");
        }

        if (lines > 0)
        {
            CheckTags(part, index, first!, range.FirstLine, batchId, "first");
            CheckTags(part, index, last!, range.FirstLine + range.Lines - 1, batchId, "last");
        }

        return bytes;
    }

    /// <summary>A part's record must say it read the input as the plan cut it (<see cref="ShardPlan.InputFormat"/>): a part
    /// whose shard read it otherwise holds other rows than the plan gives it. A plan or record of an older version, which
    /// does not say, is taken to match.</summary>
    private static async Task CheckInputFormatAsync(StorageLocation part, int index, ShardPlan plan, StorageLocation planLocation, ObjectStore store, CancellationToken ct)
    {
        if (plan.InputFormat is not { } planned
            || await RunRecord.ReadAsync(store, RunRecord.CompletePathOf(part), ct).ConfigureAwait(false) is not { Settings.InputFormat: { } read } record
            || read == planned)
        {
            return;
        }

        throw InvalidBatchOptionsException.About([nameof(BatchOptions.InputFormat)], name =>
            $"{part} was written from {record.InputPath} read as {read}, but the shard plan {planLocation} cuts it read as {planned}: the part does not hold the rows the plan gives shard {index}; " +
            $"delete the .parts folder and run every shard again with one {name(nameof(BatchOptions.InputFormat))}");
    }

    private static void CheckTags(StorageLocation part, int index, string line, long expected, string batchId, string which)
    {
        var tags = PartialOutput.TagsOf(Encoding.UTF8.GetBytes(line));
        if (tags?.Index != expected || tags.Value.BatchId != batchId)
        {
            throw Damaged(part, index,
                $"its {which} line should be batch_index {expected} of batch '{batchId}', but is {(tags is null ? "not a tagged output line" : $"batch_index {tags.Value.Index} of batch '{tags.Value.BatchId}'")}");
        }
    }

    /// <summary>A part that is there but not what its shard should have written: merging again cannot fix it.</summary>
    private static InvalidBatchOptionsException Damaged(StorageLocation part, int index, string what) =>
        InvalidBatchOptionsException.About([nameof(BatchOptions.ShardIndex)], name =>
            $"{part} {what}: delete it and run shard {index} again ({name(nameof(BatchOptions.ShardIndex))} {index}), then merge again");

    /// <summary>The shards' summaries added up; latencies are the worst shard's (percentiles do not add).</summary>
    private static RunSummary Combine(IReadOnlyList<JsonElement> shards, string outputPath, TimeSpan mergeTime)
    {
        long Sum(string name) => shards.Sum(s => s.TryGetProperty(name, out var v) && v.TryGetInt64(out var n) ? n : 0);
        double Max(Func<JsonElement, double> pick) => shards.Count == 0 ? 0 : shards.Max(pick);
        static double Latency(JsonElement s, string p) =>
            s.TryGetProperty("latency_ms", out var l) && l.TryGetProperty(p, out var v) ? v.GetDouble() : 0;

        var failures = new Dictionary<string, long>();
        foreach (var shard in shards)
        {
            if (shard.TryGetProperty("failed_by_reason", out var reasons) && reasons.ValueKind == JsonValueKind.Object)
            {
                foreach (var reason in reasons.EnumerateObject())
                {
                    failures[reason.Name] = failures.GetValueOrDefault(reason.Name) + reason.Value.GetInt64();
                }
            }
        }

        return new RunSummary
        {
            OutputPath = outputPath,
            Instances = Sum("instances"),
            ResumedLines = Sum("resumed_lines"),
            Succeeded = Sum("succeeded"),
            Failed = Sum("failed"),
            FailuresByKind = failures,
            Requests = Sum("requests"),
            Retries = Sum("retries"),
            // Shards run side by side: the batch took as long as its slowest shard, plus the merge.
            Elapsed = TimeSpan.FromSeconds(Max(s => s.TryGetProperty("elapsed_seconds", out var e) ? e.GetDouble() : 0)) + mergeTime,
            LatencyP50 = TimeSpan.FromMilliseconds(Max(s => Latency(s, "p50"))),
            LatencyP95 = TimeSpan.FromMilliseconds(Max(s => Latency(s, "p95"))),
            LatencyP99 = TimeSpan.FromMilliseconds(Max(s => Latency(s, "p99"))),
        };
    }
}
