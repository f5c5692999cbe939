using System.Diagnostics;
using System.IO.Hashing;
using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>Where one run reads and writes: its input (file or object, plain or gzip) and the range of it this run
/// covers, and its output (the whole output, its records <c>&lt;output&gt;.records.jsonl</c> for a table output, or this
/// shard's part). Made before the run starts, so a missing input
/// or bucket, or an input that changed under a shard plan, is a settings problem (exit code 2) found before any request.
/// It holds the output (a shard: its part) for the run's whole life, from before anything next to it is touched until
/// it is disposed: a second run on the same output is refused with <see cref="OutputInUseException"/>.</summary>
internal sealed class RunStorage : IAsyncDisposable
{
    private InputFingerprint? _fingerprint;
    private long? _inputLines;

    private RunStorage(
        ObjectStore store, InputSource input, InputVersion version, ShardRange range, OutputTarget output, ShardPlan? plan, StorageLocation outputLocation, OutputLock held, TableInput? table)
    {
        Store = store;
        Input = input;
        Version = version;
        Table = table;
        Range = range;
        Output = output;
        Plan = plan;
        OutputLocation = outputLocation;
        Lock = held;
    }

    public ObjectStore Store { get; }

    public InputSource Input { get; }

    public InputVersion Version { get; }

    /// <summary>The input read as a table (CSV or Parquet); null for JSON lines.</summary>
    public TableInput? Table { get; }

    /// <summary>The decoded bytes this run reads and the global number of their first line; for a Parquet input, the rows.</summary>
    public ShardRange Range { get; }

    public OutputTarget Output { get; }

    /// <summary>The shard plan when the run is one of several shards; null for a whole run.</summary>
    public ShardPlan? Plan { get; }

    /// <summary>The output the user named (the shards' parts sit next to it).</summary>
    public StorageLocation OutputLocation { get; }

    /// <summary>This run's hold on <see cref="Output"/>; a lease can be lost (the run then stops and does not publish).</summary>
    public OutputLock Lock { get; }

    /// <param name="options">The run's settings; its block's clock is the run's, for an object output's lease.</param>
    /// <param name="tuning">The store's sizes: S3's, or a test's.</param>
    /// <param name="logger">Where the run logs.</param>
    /// <param name="ct">Cancels the preparation.</param>
    public static async Task<RunStorage> PrepareAsync(BatchOptions options, StorageTuning tuning, ILogger logger, CancellationToken ct)
    {
        var store = new ObjectStore(options.S3Endpoint, options.S3PartSize, tuning);
        OutputLock? held = null;
        try
        {
            var input = InputSource.Create(StorageLocation.Parse(options.InputDataPath), options.InputCompression, store, tuning.Streams, replayable: options.ResolvedInputFormat.IsTable());
            var version = await input.DescribeAsync(ct).ConfigureAwait(false);
            // A table's columns are checked before anything next to the output is looked at: a wrong column is a setting.
            var table = options.ResolvedInputFormat.IsTable() ? await TableInput.DescribeAsync(input, version, options, ct).ConfigureAwait(false) : null;
            if (table is not null)
            {
                logger.LogInformation(
                    "Reading {Input} as {Format}: each row's {Columns} make the model's input", input.Location, BatchOptions.FormatName(table.Format),
                    string.Join(", ", table.ChosenColumns.Select(c => c.Name)));
            }

            var outputLocation = StorageLocation.Parse(options.OutputDataPath);
            var sharded = options.ShardCount > 1;
            // A table output's run writes its records next to it; a shard's part sits next to the output, as ever.
            var target = OutputTarget.Create(
                sharded ? ShardPlan.PartOf(outputLocation, options.ShardIndex, options.ShardCount) : TableOutput.RecordsLocation(options, outputLocation), store, tuning.Streams);
            await target.CheckAsync(ct).ConfigureAwait(false);
            // Before the shard plan and the resume plan look at, write or discard anything next to the output.
            // A stream output keeps nothing next to it and is each process's own: there is nothing to hold.
            held = target.Location.IsStream
                ? new StreamOutputLock(target.Location)
                : await OutputLock.AcquireAsync(target.Location, store, options.Block.BatchId, options.Block.TimeProvider, logger, ct, makeFolder: sharded).ConfigureAwait(false);
            target.Lock = held;
            if (!sharded)
            {
                var whole = table?.WholeRange ?? new ShardRange(0, input.IsGzip ? long.MaxValue : version.Length, 0, -1);
                return new RunStorage(store, input, version, whole, target, null, outputLocation, held, table);
            }

            var plan = await ShardPlanner.PlanAsync(input, version, outputLocation, options.ShardCount, options.Block.BatchSize, options.Block.BatchId,
                BatchOptions.FormatName(options.ResolvedInputFormat), store, ct,
                table is null ? null : (length, token) => table.CutAsync(options.ShardCount, options.Block.BatchSize, length, token)).ConfigureAwait(false);
            var range = plan.Ranges[options.ShardIndex];
            logger.LogInformation(
                "Shard {Index} of {Count}: lines {First} to {Last} of {Lines} ({Unit} {Start} to {End}), part {Part}",
                options.ShardIndex, options.ShardCount, range.FirstLine, range.FirstLine + range.Lines - 1, plan.Lines,
                table?.Format == TableFormat.Parquet ? "rows" : "bytes", range.Start, range.End, target.Location);
            return new RunStorage(store, input, version, range, target, plan, outputLocation, held, table);
        }
        catch (StorageException ex) when (ex.IsSettingsProblem)
        {
            await ReleaseAsync(held, store).ConfigureAwait(false);
            throw new InvalidBatchOptionsException(options.Describe(ex.Message));
        }
        catch
        {
            await ReleaseAsync(held, store).ConfigureAwait(false);
            throw;
        }
    }

    private static async Task ReleaseAsync(OutputLock? held, ObjectStore store)
    {
        if (held is not null)
        {
            await held.DisposeAsync().ConfigureAwait(false);
        }

        store.Dispose();
    }

    /// <summary>What tells this run's input from another: an object's size and ETag (nothing read), a file's size
    /// and the XxHash128 of its whole content. A shard's part records the whole input's (the plan covers the ranges).
    /// With <paramref name="countLines"/> a file's lines are counted in the same pass, for
    /// <see cref="CountInputLinesAsync"/>: a file is read once for both. The time it took is logged at debug.</summary>
    public async Task<InputFingerprint> FingerprintAsync(bool countLines, ILogger logger, CancellationToken ct)
    {
        if (_fingerprint is not null)
        {
            return _fingerprint;
        }

        if (Input.Location.IsObject)
        {
            return _fingerprint = InputFingerprint.OfObject(Version.Length, Version.Tag);
        }

        if (Input.Location.IsStream)
        {
            // Read once, by the run: nothing is read ahead to hash it.
            return _fingerprint = InputFingerprint.OfStream();
        }

        var started = Stopwatch.GetTimestamp();
        var hash = new XxHash128();
        await using (var reading = await Input.OpenAsync(Version, 0, null, hash.Append, ct).ConfigureAwait(false))
        {
            if (countLines && Plan is null)
            {
                _inputLines = Table is null
                    ? await LineReader.CountLinesAsync(reading.Decoded, ct).ConfigureAwait(false)
                    : await Table.CountRowsAsync(reading.Decoded, ct).ConfigureAwait(false);
            }

            await reading.ReadStoredToEndAsync(ct).ConfigureAwait(false);
        }

        _fingerprint = InputFingerprint.OfContent(Version.Length, hash);
        logger.LogDebug(
            "Fingerprinted {Input} ({Fingerprint}{Lines}) in {Seconds:F2} s", Input.Location, _fingerprint,
            _inputLines is { } lines ? $", {lines} lines" : "", Stopwatch.GetElapsedTime(started).TotalSeconds);
        return _fingerprint;
    }

    /// <summary>The input lines (a table's rows) this run covers: a shard's from its plan, a Parquet file's from its
    /// footer, else counted by reading the input once (decoded, for gzip), unless the fingerprint's pass counted them.</summary>
    public async Task<long> CountInputLinesAsync(CancellationToken ct)
    {
        if (Plan is not null)
        {
            return Range.Lines;
        }

        if (_inputLines is null && Table is not null)
        {
            _inputLines = await Table.CountRowsAsync(ct).ConfigureAwait(false);
        }

        if (_inputLines is null)
        {
            await using var input = await Input.OpenAsync(Version, 0, null, ct).ConfigureAwait(false);
            _inputLines = await LineReader.CountLinesAsync(input.Decoded, ct).ConfigureAwait(false);
        }

        return _inputLines.Value;
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

    /// <summary>Releases the output (after it was published, or the run ended otherwise) and the store.</summary>
    public async ValueTask DisposeAsync() => await ReleaseAsync(Lock, Store).ConfigureAwait(false);
}
