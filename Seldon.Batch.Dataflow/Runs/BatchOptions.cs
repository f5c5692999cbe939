
namespace Seldon.Batch.Dataflow;

/// <summary>Everything a file-to-file run (<see cref="BatchRun"/>) needs: where the model is, what to read and write,
/// and the settings of the <see cref="PredictionBlock"/> it runs, by the same names as in
/// <see cref="PredictionBlockOptions"/>. Defaults are those of the original <c>seldon-batch-processor</c>.
/// Call <see cref="Validate"/> (the run does) before any work starts.</summary>
public sealed partial record BatchOptions
{
    /// <summary>The block's defaults, which the same settings here share.</summary>
    private static readonly PredictionBlockOptions BlockDefaults = new();

    /// <summary>The SeldonDeployment to send requests to (required).</summary>
    public string DeploymentName { get; init; } = "";

    /// <summary>Ingress (istio, ambassador) or the model's own service (seldon).</summary>
    public GatewayType Gateway { get; init; } = GatewayType.Istio;

    /// <summary>The deployment's Kubernetes namespace.</summary>
    public string Namespace { get; init; } = "default";

    /// <summary><c>host:port</c> of the ingress or service.</summary>
    public string Host { get; init; } = "istio-ingressgateway.istio-system.svc.cluster.local:80";

    /// <summary>REST or gRPC.</summary>
    public TransportType Transport { get; init; } = TransportType.Rest;

    /// <summary>How input lines are read.</summary>
    public DataType DataType { get; init; } = BlockDefaults.DataType;

    /// <summary>The payload kind of <c>data</c> requests.</summary>
    public PayloadType PayloadType { get; init; } = BlockDefaults.PayloadType;

    /// <summary>Requests in flight at once.</summary>
    public int Workers { get; init; } = BlockDefaults.Workers;

    /// <summary>Attempts per request, the first included.</summary>
    public int Retries { get; init; } = BlockDefaults.Retries;

    /// <summary>The input: a file or an object <c>s3://bucket/key</c>, one JSON document per line.</summary>
    public string InputDataPath { get; init; } = "/assets/input-data.txt";

    /// <summary>The output: a file or an object <c>s3://bucket/key</c>, one line per input line, in input order.</summary>
    public string OutputDataPath { get; init; } = "/assets/output-data.txt";

    /// <summary>Predict or feedback.</summary>
    public PredictionMethod Method { get; init; } = BlockDefaults.Method;

    /// <summary>The run's <c>batch_id</c>; a new unique id when empty.</summary>
    public string BatchId { get; init; } = "";

    /// <summary>Lines per request (micro-batching above 1).</summary>
    public int BatchSize { get; init; } = BlockDefaults.BatchSize;

    /// <summary>Minimum time between two requests of one worker.</summary>
    public TimeSpan BatchInterval { get; init; } = BlockDefaults.BatchInterval;

    /// <summary>https / TLS.</summary>
    public bool UseSsl { get; init; }

    /// <summary>Auth token; implies https as in the original.</summary>
    public string CallCredentialsToken { get; init; } = "";

    /// <summary>False accepts any server certificate.</summary>
    public bool SslVerify { get; init; } = true;

    /// <summary>Time allowed for one attempt of one request.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Largest gRPC message sent or received, in bytes.</summary>
    public int GrpcMaxMessageBytes { get; init; } = 4 * 1024 * 1024;

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

    /// <summary>How long an outage of a model that answered before is waited out (<c>--max-outage</c>): past it the
    /// run stops (exit 3) with a resumable side file. Default 300 s.</summary>
    public TimeSpan MaxOutage { get; init; } = BlockDefaults.MaxOutage;

    /// <summary>How long the model may take to answer the first request (<c>--wait-ready</c>), failures that would
    /// stop the run (a 404 while the deployment is created) included. Zero (the default) waits a few seconds only, so
    /// a wrong host stops the run quickly.</summary>
    public TimeSpan WaitReady { get; init; } = BlockDefaults.WaitReady;

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

    /// <summary>Shards the input is split into; each run processes one and writes its part next to the output.</summary>
    public int ShardCount { get; init; } = 1;

    /// <summary>The shard this run processes, from 0 to <see cref="ShardCount"/> − 1.</summary>
    public int ShardIndex { get; init; }

    /// <summary>Bytes of the first parts of an S3 output's multipart upload (8 MiB): what a killed run may have to redo at
    /// most, and what a pod holds in memory twice. From 5 MiB (S3's smallest part) to 1 GiB; the size doubles every
    /// 1,000 parts.</summary>
    public int S3PartSize { get; init; } = ObjectStore.DefaultPartBytes;

    /// <summary>The smallest <see cref="S3PartSize"/> accepted: S3's 5 MiB (tests of a local store lower it).</summary>
    internal int MinimumS3PartSize { get; init; } = 5 << 20;

    /// <summary>Bytes of one ranged GET of an S3 input (tests lower it to read an object in many requests).</summary>
    internal int S3ReadChunkBytes { get; init; } = ObjectStore.DefaultReadChunkBytes;

    /// <summary>Throws <see cref="InvalidBatchOptionsException"/> naming the first invalid setting by its property.
    /// With <paramref name="checkFiles"/>, also checks the input file is readable and the output folder writable (an
    /// <c>s3://</c> URL is only checked for its form here; the run checks the object and the bucket before its first request).</summary>
    public void Validate(bool checkFiles = true)
    {
        if (string.IsNullOrWhiteSpace(DeploymentName))
        {
            Fail(nameof(DeploymentName), " is required");
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            Fail(nameof(Host), " must not be empty");
        }

        ToBlockOptions().Validate();
        if (Timeout <= TimeSpan.Zero)
        {
            Fail(nameof(Timeout), $" must be more than 0 seconds, not {Timeout.TotalSeconds}");
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            Fail(nameof(ShutdownTimeout), $" must be 0 or more seconds, not {ShutdownTimeout.TotalSeconds}");
        }

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

        if (GrpcMaxMessageBytes < 1024)
        {
            Fail(nameof(GrpcMaxMessageBytes), $" must be at least 1024 bytes, not {GrpcMaxMessageBytes}");
        }

        if (S3PartSize < MinimumS3PartSize || S3PartSize > 1 << 30)
        {
            Fail(nameof(S3PartSize), $" must be from {MinimumS3PartSize} (S3's smallest part) to {1 << 30} bytes, not {S3PartSize}");
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

        ValidateEndpoint();
        if (checkFiles)
        {
            CheckFiles();
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

        // Objects are checked by the run itself, before its first request (it needs the store for that).
        if (!input.IsObject)
        {
            CheckInputFile();
        }

        if (!output.IsObject)
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
        if (!input.IsObject && full == Path.GetFullPath(InputDataPath))
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

    internal static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary>Fails the rule of one <paramref name="property"/>: the message is its name followed by <paramref name="rest"/>.</summary>
    private static void Fail(string property, string rest) => throw InvalidBatchOptionsException.About(property, rest);

    /// <summary>The client's settings of these options.</summary>
    internal EndpointSettings ToEndpoint() => new()
    {
        Host = Host,
        DeploymentName = DeploymentName,
        Namespace = Namespace,
        Gateway = Gateway,
        UseSsl = UseSsl,
        Token = CallCredentialsToken,
        SslVerify = SslVerify,
        Timeout = Timeout,
        MaxMessageBytes = GrpcMaxMessageBytes,
        Protocol = Protocol,
        ModelName = EffectiveModelName,
        ModelVersion = ModelVersion,
        Headers = Headers,
    };

    /// <summary>The block's settings of these options (the batch id as given: the run settles it before the block is built).</summary>
    internal PredictionBlockOptions ToBlockOptions() => new()
    {
        Protocol = Protocol,
        DataType = DataType,
        PayloadType = PayloadType,
        Method = Method,
        InputName = InputName,
        Datatype = Datatype,
        BatchId = BatchId,
        BatchSize = BatchSize,
        BatchInterval = BatchInterval,
        Workers = Workers,
        Retries = Retries,
        MaxOutage = MaxOutage,
        WaitReady = WaitReady,
        SettingName = NameOf,
    };
}
