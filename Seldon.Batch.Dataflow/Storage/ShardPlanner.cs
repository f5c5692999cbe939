namespace Seldon.Batch.Dataflow;

/// <summary>Finds the shard plan next to the output, or computes and publishes it: the first shard to find it
/// missing publishes it (atomically, without overwriting), the others read the one that won.</summary>
internal static class ShardPlanner
{
    /// <summary>The plan of <paramref name="count"/> shards next to <paramref name="output"/>, published or computed (a
    /// table input is cut by <paramref name="cut"/>, given its decoded length, which only its format knows how to do; JSON
    /// lines, when it is null, are cut at the starts of lines). <paramref name="inputFormat"/> is how this run reads the
    /// input (<c>jsonl</c>, <c>csv</c>, <c>parquet</c>): recorded in a new plan, and checked against a published one's.</summary>
    public static async Task<ShardPlan> PlanAsync(
        InputSource input, InputVersion version, StorageLocation output, int count, int batchSize, string? batchId, string inputFormat, ObjectStore store, CancellationToken ct,
        Func<long, CancellationToken, Task<IReadOnlyList<ShardRange>>>? cut = null)
    {
        var location = ShardPlan.LocationOf(output, count);
        if (await SmallObjects.ReadAsync(store, location, ct).ConfigureAwait(false) is not { } published)
        {
            var plan = await ComputeAsync(input, version, count, batchSize, batchId, ct, cut).ConfigureAwait(false) with { InputFormat = inputFormat };
            if (await SmallObjects.TryCreateAsync(store, location, plan.ToJson(), ct).ConfigureAwait(false))
            {
                return plan;
            }

            published = await SmallObjects.ReadAsync(store, location, ct).ConfigureAwait(false)
                ?? throw StorageException.Failure($"{location} existed a moment ago and is gone now: is another run cleaning up?");
        }

        var found = ShardPlan.Parse(published, location);
        if (found.InputTag != version.Tag)
        {
            throw StorageException.Settings(
                $"{input.Location} changed since the shard plan {location} was made (version {found.InputTag}, now {version.Tag}): " +
                "the shards would cut different inputs; delete the .parts folder and run every shard again");
        }

        if (found.Count != count)
        {
            throw StorageException.Settings($"{location} plans {found.Count} shards, not {count}: delete it to plan again");
        }

        // Refused rather than planned anew: other shards may have run on this plan already, and parts cut for another
        // batch size (or by an older version, anywhere) would not join into what one process sends.
        if (found.BatchSize != batchSize)
        {
            throw StorageException.Settings(found.BatchSize == 0
                ? $"{location} was made by an older version, whose shards do not start on whole micro-batches: delete the .parts folder and run every shard again"
                : $"{location} cuts the input for PredictionBlockOptions.BatchSize {found.BatchSize}, not {batchSize}: run every shard with PredictionBlockOptions.BatchSize {found.BatchSize}, " +
                  "or delete the .parts folder and run every shard again");
        }

        // The ranges count what the plan's format cuts (a CSV file's records, a Parquet file's rows): a shard that reads the
        // input otherwise would take another shard's rows for its own, or cut a row in two.
        if (found.InputFormat is { } planned && planned != inputFormat)
        {
            throw StorageException.Settings(
                $"{location} cuts {input.Location} read as {planned}, but this shard reads it as {inputFormat} (BatchOptions.InputFormat): run every shard with BatchOptions.InputFormat {planned}, " +
                "or delete the .parts folder and run every shard again");
        }

        if (!string.IsNullOrEmpty(batchId) && found.BatchId != batchId)
        {
            throw StorageException.Settings($"{location} belongs to batch '{found.BatchId}', not to PredictionBlockOptions.BatchId '{batchId}'");
        }

        return found;
    }

    public static async Task<ShardPlan> ComputeAsync(InputSource input, InputVersion version, int count, int batchSize, string? batchId, CancellationToken ct,
        Func<long, CancellationToken, Task<IReadOnlyList<ShardRange>>>? cut = null)
    {
        var decodedLength = input.IsGzip ? await DecodedLengthAsync(input, version, ct).ConfigureAwait(false) : version.Length;
        IReadOnlyList<ShardRange> ranges;
        if (cut is not null)
        {
            ranges = await cut(decodedLength, ct).ConfigureAwait(false);
        }
        else
        {
            await using var reading = await input.OpenAsync(version, 0, null, ct).ConfigureAwait(false);
            ranges = await ShardPlan.CutAsync(reading.Decoded, decodedLength, count, batchSize, ct).ConfigureAwait(false);
        }

        return new ShardPlan(
            version.Tag, decodedLength, string.IsNullOrEmpty(batchId) ? ShardPlan.DeriveBatchId(version.Tag, decodedLength, count) : batchId, ranges, batchSize);
    }

    /// <summary>A gzip input's decoded length is known only after decoding it once: the even cut points need it.</summary>
    private static async Task<long> DecodedLengthAsync(InputSource input, InputVersion version, CancellationToken ct)
    {
        await using var reading = await input.OpenAsync(version, 0, null, ct).ConfigureAwait(false);
        var buffer = new byte[1 << 16];
        long length = 0;
        int read;
        while ((read = await reading.Decoded.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            length += read;
        }

        return length;
    }
}
