using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow.Storage;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>Where one run reads and writes: its input (file or object, plain or gzip) and the range of it this run
/// covers, and its output (the whole output, or this shard's part). Made before the run starts, so a missing input
/// or bucket, or an input that changed under a shard plan, is a settings problem (exit code 2) found before any request.</summary>
internal sealed class RunStorage : IDisposable
{
    private RunStorage(ObjectStore store, InputSource input, InputVersion version, ShardRange range, OutputTarget output, ShardPlan? plan, StorageLocation outputLocation)
    {
        Store = store;
        Input = input;
        Version = version;
        Range = range;
        Output = output;
        Plan = plan;
        OutputLocation = outputLocation;
    }

    public ObjectStore Store { get; }

    public InputSource Input { get; }

    public InputVersion Version { get; }

    /// <summary>The decoded bytes this run reads and the global number of their first line.</summary>
    public ShardRange Range { get; }

    public OutputTarget Output { get; }

    /// <summary>The shard plan when the run is one of several shards; null for a whole run.</summary>
    public ShardPlan? Plan { get; }

    /// <summary>The output the user named (the shards' parts sit next to it).</summary>
    public StorageLocation OutputLocation { get; }

    public static async Task<RunStorage> PrepareAsync(BatchOptions options, ILogger logger, CancellationToken ct)
    {
        var store = new ObjectStore(options.S3Endpoint, options.S3PartSize) { ReadChunkBytes = options.S3ReadChunkBytes };
        try
        {
            var input = InputSource.Create(StorageLocation.Parse(options.InputDataPath), options.InputCompression, store);
            var version = await input.DescribeAsync(ct).ConfigureAwait(false);
            var outputLocation = StorageLocation.Parse(options.OutputDataPath);
            if (options.ShardCount <= 1)
            {
                var whole = OutputTarget.Create(outputLocation, store);
                await whole.CheckAsync(ct).ConfigureAwait(false);
                return new RunStorage(store, input, version, new ShardRange(0, input.IsGzip ? long.MaxValue : version.Length, 0, -1), whole, null, outputLocation);
            }

            var part = OutputTarget.Create(ShardPlan.PartOf(outputLocation, options.ShardIndex, options.ShardCount), store);
            await part.CheckAsync(ct).ConfigureAwait(false);
            var plan = await ShardPlanner.PlanAsync(input, version, outputLocation, options.ShardCount, options.BatchId, store, ct).ConfigureAwait(false);
            var range = plan.Ranges[options.ShardIndex];
            logger.LogInformation(
                "Shard {Index} of {Count}: lines {First} to {Last} of {Lines} (bytes {Start} to {End}), part {Part}",
                options.ShardIndex, options.ShardCount, range.FirstLine, range.FirstLine + range.Lines - 1, plan.Lines, range.Start, range.End, part.Location);
            return new RunStorage(store, input, version, range, part, plan, outputLocation);
        }
        catch (StorageException ex) when (ex.IsSettingsProblem)
        {
            store.Dispose();
            throw new InvalidBatchOptionsException(options.Describe(ex.Message));
        }
        catch
        {
            store.Dispose();
            throw;
        }
    }

    /// <summary>What tells this run's input from another: an object's size and ETag (nothing read), a file's size
    /// and the hash of its head and tail. A shard's part records the whole input's (the plan covers the ranges).</summary>
    public async Task<InputFingerprint> FingerprintAsync(CancellationToken ct) =>
        Input.Location.IsObject
            ? InputFingerprint.OfObject(Version.Length, Version.Tag)
            : await InputFingerprint.OfAsync(Input.Location.Path!, ct).ConfigureAwait(false);

    /// <summary>The input lines this run covers: a shard's from its plan, else counted by reading the input once
    /// (decoded, for gzip).</summary>
    public async Task<long> CountInputLinesAsync(CancellationToken ct)
    {
        if (Plan is not null)
        {
            return Range.Lines;
        }

        await using var input = await Input.OpenAsync(Version, 0, null, ct).ConfigureAwait(false);
        return await LineReader.CountLinesAsync(input.Decoded, ct).ConfigureAwait(false);
    }

    /// <summary>Opens the complete output (file or object) to read it from its start.</summary>
    public async Task<InputReading> OpenOutputAsync(CancellationToken ct)
    {
        var output = InputSource.Create(Output.Location, InputCompression.None, Store);
        return await output.OpenAsync(await output.DescribeAsync(ct).ConfigureAwait(false), 0, null, ct).ConfigureAwait(false);
    }

    /// <summary>Writes the summary next to a shard's part, where <c>merge</c> collects it.</summary>
    public async Task SaveShardSummaryAsync(BatchOptions options, RunSummary summary, CancellationToken ct)
    {
        if (Plan is not null)
        {
            await SmallObjects.WriteAsync(Store, ShardPlan.SummaryOf(OutputLocation, options.ShardIndex, options.ShardCount), System.Text.Encoding.UTF8.GetBytes(summary.ToJson() + "\n"), ct)
                .ConfigureAwait(false);
        }
    }

    public void Dispose() => Store.Dispose();
}
