
namespace Seldon.Batch.Dataflow;

/// <summary>Everything a file-to-file run (<see cref="BatchRun"/>) needs: where the model is (<see cref="Endpoint"/>),
/// the settings of the <see cref="PredictionBlock"/> it runs (<see cref="Block"/>), and what only the run has: what to
/// read and write, how to resume, shard and stop. Composed, not copied: each setting has one place. Defaults are those of
/// the original <c>seldon-batch-processor</c>. Call <see cref="Validate(bool)"/> (the run does) before any work starts.</summary>
public sealed partial record BatchOptions
{
    /// <summary>Where the model is, how to reach it and what it speaks (required); the run makes its client of it.</summary>
    public required EndpointSettings Endpoint { get; init; }

    /// <summary>How lines become requests, how many go at once and how patiently; also the run's stop-now token
    /// (<see cref="PredictionBlockOptions.CancellationToken"/>), clock, logger and counters. The run settles the
    /// <see cref="PredictionBlockOptions.BatchId"/> (a resumed run keeps its output's) and numbers the lines itself
    /// (<see cref="PredictionBlockOptions.FirstIndex"/> is not used).</summary>
    public PredictionBlockOptions Block { get; init; } = new();

    /// <summary>The input: a file, an object <c>s3://bucket/key</c> or <c>-</c> (the standard input, read once: JSON lines,
    /// or CSV with <see cref="InputFormat"/>), one JSON document per line, or a table (CSV or Parquet:
    /// <see cref="InputFormat"/>) whose rows are the instances.</summary>
    public string InputDataPath { get; init; } = "/assets/input-data.txt";

    /// <summary>The output: a file, an object <c>s3://bucket/key</c> or <c>-</c> (the standard output, written as lines
    /// complete: JSON lines only), one line per input line, in input order.</summary>
    public string OutputDataPath { get; init; } = "/assets/output-data.txt";

    /// <summary>Keep a complete output of this input instead of replacing it: the run has nothing to do. A partial output
    /// is continued with or without it (see <see cref="Restart"/>). An output (partial or complete) of another input,
    /// by its recorded fingerprint, line count or batch id, or made with other settings, is refused.</summary>
    public bool Resume { get; init; }

    /// <summary>Discard the partial output an interrupted run left (or a shard's published part) and start from the
    /// first line. Without it, a run continues the partial output of the same input and settings, and refuses one of
    /// another input or other settings, which it leaves untouched.</summary>
    public bool Restart { get; init; }

    /// <summary>Over a complete output of this input, send again only the lines written as error records and replace
    /// them in place; the output is replaced whole when the retry completes, and left as it was otherwise.</summary>
    public bool RetryFailed { get; init; }

    /// <summary>After a stop is asked for (Ctrl-C, SIGTERM), how long requests in flight may still finish.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Stop the run when more lines than this failed (a count or a share); none by default.</summary>
    public FailureLimit MaxFailures { get; init; } = FailureLimit.None;

    /// <summary>Where to write the run's summary as JSON; none when empty.</summary>
    public string SummaryPath { get; init; } = "";

    /// <summary>How often a progress line is logged at info (zero: never).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The S3-compatible store's endpoint for <c>s3://</c> paths (MinIO, Ceph…); empty: <c>AWS_ENDPOINT_URL_S3</c>,
    /// <c>AWS_ENDPOINT_URL</c>, else AWS. Credentials and region come from the AWS SDK's standard chain.</summary>
    public string S3Endpoint { get; init; } = "";

    /// <summary>Whether the input is gzip (by default when its name ends in <c>.gz</c>).</summary>
    public InputCompression InputCompression { get; init; } = InputCompression.Auto;

    /// <summary>How the input is read: by its name (<see cref="TableFormat.Auto"/>), as JSON lines, CSV or Parquet. A table
    /// (CSV or Parquet) row becomes the model's input row from <see cref="Columns"/>.</summary>
    public TableFormat InputFormat { get; init; } = TableFormat.Auto;

    /// <summary>How the output is written: by its name (<see cref="TableFormat.Auto"/>), as JSON lines (one answer or error
    /// record per input row), CSV or Parquet (the kept input columns, the prediction columns and an <c>error</c> column).</summary>
    public TableFormat OutputFormat { get; init; } = TableFormat.Auto;

    /// <summary>The columns of a table input that make the model's input row, in this order; null: every column. A column
    /// the table lacks, or of a type no model input can be (binary, a list, a nested value, a duration), is refused before
    /// any request.</summary>
    public IReadOnlyList<string>? Columns { get; init; }

    /// <summary>The input columns copied into each row of a table output ahead of the prediction columns; null: every
    /// input column (of a table input); empty: none.</summary>
    public IReadOnlyList<string>? KeepColumns { get; init; }

    /// <summary>How a table row becomes an Open Inference request: one input per column (the default) or one tensor.</summary>
    public V2InputLayout V2Inputs { get; init; } = V2InputLayout.Columns;

    /// <summary>Shards the input is split into; each run processes one and writes its part next to the output.</summary>
    public int ShardCount { get; init; } = 1;

    /// <summary>The shard this run processes, from 0 to <see cref="ShardCount"/> − 1.</summary>
    public int ShardIndex { get; init; }

    /// <summary>Bytes of the first parts of an S3 output's multipart upload (8 MiB): what a killed run may have to redo at
    /// most, and what a pod holds in memory twice. From 5 MiB (S3's smallest part) to 1 GiB; the size doubles every
    /// 1,000 parts.</summary>
    public int S3PartSize { get; init; } = ObjectStore.DefaultPartBytes;

    /// <summary>Throws <see cref="InvalidBatchOptionsException"/> naming the first invalid setting by its property:
    /// the endpoint's (<see cref="EndpointSettings.Validate"/>), the block's against the endpoint's protocol
    /// (<see cref="PredictionBlockOptions.Validate"/>), then the run's own. With <paramref name="checkFiles"/>, also
    /// checks the input file is readable and the output folder writable (an <c>s3://</c> URL is only checked for its form
    /// here; the run checks the object and the bucket before its first request).</summary>
    public void Validate(bool checkFiles = true) => Validate(checkFiles, StorageTuning.Default.MinimumPartBytes);

    /// <summary>The same, with the smallest <see cref="S3PartSize"/> a store accepts (tests of a local store lower it).</summary>
    internal void Validate(bool checkFiles, int minimumPartBytes)
    {
        // Null only when set so on purpose (null!): said as any other setting rather than as a NullReferenceException.
        var endpoint = Endpoint ?? throw InvalidBatchOptionsException.About(nameof(Endpoint), " is required");
        var block = Block ?? throw InvalidBatchOptionsException.About(nameof(Block), " is required");
        endpoint.Validate();
        block.Validate(endpoint.Protocol);
        if (ShutdownTimeout < TimeSpan.Zero)
        {
            Fail(nameof(ShutdownTimeout), $" must be 0 or more seconds, not {ShutdownTimeout.TotalSeconds}");
        }

        ValidateModes();
        ValidateTables(endpoint.Protocol);
        ValidateStreams();
        if (S3PartSize < minimumPartBytes || S3PartSize > 1 << 30)
        {
            Fail(nameof(S3PartSize), $" must be from {minimumPartBytes} (S3's smallest part) to {1 << 30} bytes, not {S3PartSize}");
        }

        if (ShardCount < 1)
        {
            Fail(nameof(ShardCount), $" must be at least 1, not {ShardCount}");
        }

        if (ShardIndex < 0 || ShardIndex >= ShardCount)
        {
            throw InvalidBatchOptionsException.About([nameof(ShardIndex), nameof(ShardCount)], name =>
                $"{name(nameof(ShardIndex))} must be from 0 to {ShardCount - 1} ({name(nameof(ShardCount))} {ShardCount}), not {ShardIndex}");
        }

        if (checkFiles)
        {
            CheckFiles();
        }
    }

    /// <summary>Resume, Restart and RetryFailed each keep or discard an output its own way: at most one of them.</summary>
    private void ValidateModes()
    {
        if (Resume && RetryFailed)
        {
            throw InvalidBatchOptionsException.About([nameof(Resume), nameof(RetryFailed)], name =>
                $"{name(nameof(Resume))} and {name(nameof(RetryFailed))} do not go together: finish an interrupted run with {name(nameof(Resume))}, then send its failed lines again with {name(nameof(RetryFailed))}");
        }

        foreach (var (other, on) in new[] { (nameof(Resume), Resume), (nameof(RetryFailed), RetryFailed) })
        {
            if (Restart && on)
            {
                throw InvalidBatchOptionsException.About([nameof(Restart), other], name =>
                    $"{name(nameof(Restart))} and {name(other)} do not go together: {name(nameof(Restart))} discards the output that {name(other)} would keep");
            }
        }
    }

    private void CheckFiles()
    {
        var input = Location(nameof(InputDataPath), InputDataPath);
        var output = Location(nameof(OutputDataPath), OutputDataPath);
        if (input.IsObject && output.IsObject && input.ToString() == output.ToString())
        {
            Fail(nameof(OutputDataPath), $": '{OutputDataPath}' is the input object; it would be overwritten");
        }

        // Objects are checked by the run itself, before its first request (it needs the store for that); a stream (-)
        // has nothing to check.
        if (!input.IsObject && !input.IsStream)
        {
            CheckInputFile();
        }

        if (!output.IsObject && !output.IsStream)
        {
            CheckOutputFile(input);
        }

        if (!string.IsNullOrWhiteSpace(SummaryPath))
        {
            var summaryFolder = Path.GetDirectoryName(Path.GetFullPath(SummaryPath))!;
            if (!Directory.Exists(summaryFolder) || Directory.Exists(SummaryPath))
            {
                Fail(nameof(SummaryPath), $": '{SummaryPath}' is not a file in an existing folder");
            }

            CheckWritable(nameof(SummaryPath), summaryFolder);
        }
    }

    private static StorageLocation Location(string property, string text)
    {
        try
        {
            return StorageLocation.Parse(text);
        }
        catch (StorageException ex)
        {
            throw InvalidBatchOptionsException.About(property, $": {ex.Message}");
        }
    }

    private void CheckInputFile()
    {
        if (string.IsNullOrWhiteSpace(InputDataPath) || !File.Exists(InputDataPath))
        {
            Fail(nameof(InputDataPath), $": no file at '{InputDataPath}'");
        }

        try
        {
            using var probe = File.OpenRead(InputDataPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(nameof(InputDataPath), $": '{InputDataPath}' cannot be read: {ex.Message}");
        }
    }

    private void CheckOutputFile(StorageLocation input)
    {
        if (string.IsNullOrWhiteSpace(OutputDataPath) || Directory.Exists(OutputDataPath))
        {
            Fail(nameof(OutputDataPath), $": '{OutputDataPath}' must be a file path, not a folder");
        }

        var full = Path.GetFullPath(OutputDataPath);
        if (!input.IsObject && !input.IsStream && full == Path.GetFullPath(InputDataPath))
        {
            Fail(nameof(OutputDataPath), $": '{OutputDataPath}' is the input file; it would be overwritten");
        }

        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            Fail(nameof(OutputDataPath), $": the folder '{folder}' does not exist");
        }

        CheckWritable(nameof(OutputDataPath), folder);
    }

    private static void CheckWritable(string property, string folder)
    {
        var probePath = Path.Combine(folder, $".seldon-batch-probe-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probePath, []);
            File.Delete(probePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail(property, $": cannot write in '{folder}': {ex.Message}");
        }
    }

    internal static string Name<T>(T value) where T : struct, Enum => SettingNames.ValueOf(value);

    /// <summary>Fails the rule of one <paramref name="property"/>: the message is its name followed by <paramref name="rest"/>.</summary>
    private static void Fail(string property, string rest) => throw InvalidBatchOptionsException.About(property, rest);
}
