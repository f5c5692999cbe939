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
    /// <param name="cancellationToken">Cancels the merge; the output then does not appear.</param>
    /// <exception cref="InvalidBatchOptionsException">The merge cannot be done as asked: a malformed URL, no shard plan
    /// (or several, with no <see cref="MergeOptions.ShardCount"/> to choose), no bucket, a part missing or not holding
    /// its planned lines (its shard must run, or run again).</exception>
    /// <exception cref="IOException">The store failed.</exception>
    /// <exception cref="OutputInUseException">Another run or merge is writing the output; nothing was changed.</exception>
    public static async Task<RunSummary> MergeAsync(MergeOptions options, StorageTuning tuning, CancellationToken cancellationToken)
    {
        if (options.ShardCount < 0)
        {
            throw InvalidBatchOptionsException.About(nameof(options.ShardCount), $" must be at least 1, not {options.ShardCount}");
        }

        var logger = (options.LoggerFactory ?? NullLoggerFactory.Instance).CreateLogger(typeof(ShardMerge).FullName!);
        using var store = new ObjectStore(options.S3Endpoint, tuning.MergePartBytes, tuning);
        try
        {
            var output = StorageLocation.Parse(options.OutputDataPath);
            // The merged output is written like a run's: one writer at a time, held until it is published.
            await using var held = await OutputLock.AcquireAsync(output, store, null, TimeProvider.System, logger, cancellationToken).ConfigureAwait(false);
            var summary = await MergePartsAsync(output, options.ShardCount, store, logger, cancellationToken).ConfigureAwait(false);
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

    private static async Task<RunSummary> MergePartsAsync(StorageLocation output, int shardCount, ObjectStore store, ILogger logger, CancellationToken ct)
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        if (shardCount == 0)
        {
            // Not given: the shards' plan next to the output says how many there were.
            shardCount = await CountShardsAsync(output, store, ct).ConfigureAwait(false);
        }

        var planLocation = ShardPlan.LocationOf(output, shardCount);
        var published = await SmallObjects.ReadAsync(store, planLocation, ct).ConfigureAwait(false);
        if (published is null && shardCount == 1)
        {
            // One shard is a plain run: it wrote the output itself and there is nothing to join.
            var lines = await CountLinesAsync(output, store, ct).ConfigureAwait(false);
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

        var copied = await PartJoiner.JoinAsync(store, parts, output, ct).ConfigureAwait(false);
        logger.LogInformation(
            "Merged {Count} parts ({Lines} lines) into {Output}{How}", shardCount, plan.Lines, output, copied ? " by server-side copy" : "");
        return Combine(summaries, output.ToString(), started.Elapsed);
    }

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
