using Seldon.Batch.Dataflow.Protocol;
using Seldon.Batch.Dataflow.Storage;
using Seldon.Batch.Dataflow.Transport;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>Everything a batch run needs. Defaults are those of the original <c>seldon-batch-processor</c>.
/// Call <see cref="Validate"/> (the runners do) before any work starts.</summary>
public sealed partial record BatchOptions
{
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
    public DataType DataType { get; init; } = DataType.Data;

    /// <summary>The payload kind of <c>data</c> requests.</summary>
    public PayloadType PayloadType { get; init; } = PayloadType.Ndarray;

    /// <summary>Requests in flight at once.</summary>
    public int Workers { get; init; } = 1;

    /// <summary>Attempts per request, the first included.</summary>
    public int Retries { get; init; } = 3;

    /// <summary>The input: a file or an object <c>s3://bucket/key</c>, one JSON document per line.</summary>
    public string InputDataPath { get; init; } = "/assets/input-data.txt";

    /// <summary>The output: a file or an object <c>s3://bucket/key</c>, one line per input line, in input order.</summary>
    public string OutputDataPath { get; init; } = "/assets/output-data.txt";

    /// <summary>Predict or feedback.</summary>
    public PredictionMethod Method { get; init; } = PredictionMethod.Predict;

    /// <summary>The run's <c>batch_id</c>; a new unique id when empty.</summary>
    public string BatchId { get; init; } = "";

    /// <summary>Lines per request (micro-batching above 1).</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Minimum time between two requests of one worker.</summary>
    public TimeSpan BatchInterval { get; init; } = TimeSpan.Zero;

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

    /// <summary>Continue an interrupted run of this input: keep the valid prefix of the side file and skip those input
    /// lines. An output (partial or complete) of another input, by its recorded fingerprint, line count or batch id,
    /// is refused.</summary>
    public bool Resume { get; init; }

    /// <summary>Over a complete output of this input, send again only the lines written as error records and replace
    /// them in place; the output is replaced whole when the retry completes, and left as it was otherwise.</summary>
    public bool RetryFailed { get; init; }

    /// <summary>After a stop is asked for (Ctrl-C, SIGTERM), how long requests in flight may still finish.</summary>
    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How long an outage of a model that answered before is waited out (<c>--max-outage</c>): past it the
    /// run stops (exit 3) with a resumable side file. Default 300 s.</summary>
    public TimeSpan MaxOutage { get; init; } = TimeSpan.FromSeconds(300);

    /// <summary>How long the model may take to answer the first request (<c>--wait-ready</c>), failures that would
    /// stop the run (a 404 while the deployment is created) included. Zero (the default) waits a few seconds only, so
    /// a wrong host stops the run quickly.</summary>
    public TimeSpan WaitReady { get; init; } = TimeSpan.Zero;

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

    /// <summary>Throws <see cref="InvalidBatchOptionsException"/> naming the first invalid setting.
    /// With <paramref name="checkFiles"/>, also checks the input file is readable and the output folder writable (an
    /// <c>s3://</c> URL is only checked for its form here; the run checks the object and the bucket before its first request).</summary>
    public void Validate(bool checkFiles = true)
    {
        if (string.IsNullOrWhiteSpace(DeploymentName))
        {
            Fail("--deployment-name (SELDON_BATCH_DEPLOYMENT_NAME) is required");
        }

        if (string.IsNullOrWhiteSpace(Host))
        {
            Fail("--host must not be empty");
        }

        if (Workers < 1)
        {
            Fail($"--workers must be at least 1, not {Workers}");
        }

        if (Retries < 1)
        {
            Fail($"--retries is the number of attempts per request and must be at least 1, not {Retries}");
        }

        if (BatchSize < 1)
        {
            Fail($"--batch-size must be at least 1, not {BatchSize}");
        }

        if (BatchInterval < TimeSpan.Zero)
        {
            Fail($"--batch-interval must be 0 or more seconds, not {BatchInterval.TotalSeconds}");
        }

        if (Timeout <= TimeSpan.Zero)
        {
            Fail($"--timeout must be more than 0 seconds, not {Timeout.TotalSeconds}");
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            Fail($"--shutdown-timeout must be 0 or more seconds, not {ShutdownTimeout.TotalSeconds}");
        }

        if (MaxOutage <= TimeSpan.Zero)
        {
            Fail($"--max-outage must be more than 0 seconds, not {MaxOutage.TotalSeconds}");
        }

        if (WaitReady < TimeSpan.Zero)
        {
            Fail($"--wait-ready must be 0 or more seconds, not {WaitReady.TotalSeconds}");
        }

        if (Resume && RetryFailed)
        {
            Fail("--resume and --retry-failed do not go together: finish an interrupted run with --resume, then send its failed lines again with --retry-failed");
        }

        if (GrpcMaxMessageBytes < 1024)
        {
            Fail($"--grpc-max-message-size must be at least 1024 bytes, not {GrpcMaxMessageBytes}");
        }

        if (S3PartSize < MinimumS3PartSize || S3PartSize > 1 << 30)
        {
            Fail($"--s3-part-size must be from {MinimumS3PartSize} (S3's smallest part) to {1 << 30} bytes, not {S3PartSize}");
        }

        if (ShardCount < 1)
        {
            Fail($"--shard-count must be at least 1, not {ShardCount}");
        }

        if (ShardIndex < 0 || ShardIndex >= ShardCount)
        {
            Fail($"--shard-index must be from 0 to {ShardCount - 1} (--shard-count {ShardCount}), not {ShardIndex}");
        }

        if (Method == PredictionMethod.Feedback && DataType != DataType.Raw)
        {
            Fail($"--method feedback needs --data-type raw (each line a Feedback message), not --data-type {Name(DataType)}");
        }

        ValidateProtocol();
        if (BatchSize > 1 && Protocol == InferenceProtocol.Seldon)
        {
            if (Method == PredictionMethod.Feedback)
            {
                Fail("--method feedback sends one Feedback message per request: use --batch-size 1");
            }

            if (DataType is DataType.Json or DataType.Str)
            {
                Fail($"--batch-size {BatchSize} needs --data-type data or raw: {Name(DataType)} lines cannot be merged into one request");
            }

            if (DataType == DataType.Data && PayloadType == PayloadType.Tftensor)
            {
                Fail($"--batch-size {BatchSize} works with --payload-type ndarray or tensor, not tftensor");
            }
        }

        if (checkFiles)
        {
            CheckFiles();
        }
    }

    private void CheckFiles()
    {
        var input = Location("--input-data-path", InputDataPath);
        var output = Location("--output-data-path", OutputDataPath);
        if (input.IsObject && output.IsObject && input.ToString() == output.ToString())
        {
            Fail($"--output-data-path: '{OutputDataPath}' is the input object; it would be overwritten");
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
                Fail($"--summary-path: '{SummaryPath}' is not a file in an existing folder");
            }

            CheckWritable("--summary-path", summaryFolder);
        }
    }

    private static StorageLocation Location(string option, string text)
    {
        try
        {
            return StorageLocation.Parse(text);
        }
        catch (StorageException ex)
        {
            throw new InvalidBatchOptionsException($"{option}: {ex.Message}");
        }
    }

    private void CheckInputFile()
    {
        if (string.IsNullOrWhiteSpace(InputDataPath) || !File.Exists(InputDataPath))
        {
            Fail($"--input-data-path: no file at '{InputDataPath}'");
        }

        try
        {
            using var probe = File.OpenRead(InputDataPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail($"--input-data-path: '{InputDataPath}' cannot be read: {ex.Message}");
        }
    }

    private void CheckOutputFile(StorageLocation input)
    {
        if (string.IsNullOrWhiteSpace(OutputDataPath) || Directory.Exists(OutputDataPath))
        {
            Fail($"--output-data-path: '{OutputDataPath}' must be a file path, not a folder");
        }

        var full = Path.GetFullPath(OutputDataPath);
        if (!input.IsObject && full == Path.GetFullPath(InputDataPath))
        {
            Fail($"--output-data-path: '{OutputDataPath}' is the input file; it would be overwritten");
        }

        var folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder))
        {
            Fail($"--output-data-path: the folder '{folder}' does not exist");
        }

        CheckWritable("--output-data-path", folder);
    }

    private static void CheckWritable(string option, string folder)
    {
        var probePath = Path.Combine(folder, $".seldon-batch-probe-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probePath, []);
            File.Delete(probePath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Fail($"{option}: cannot write in '{folder}': {ex.Message}");
        }
    }

    internal static string Name<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    private static void Fail(string message) => throw new InvalidBatchOptionsException(message);

    /// <summary>The transport settings of these options, for <see cref="PredictionClients.Create"/>.</summary>
    public EndpointSettings ToEndpoint() => new()
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

    /// <summary>The retry and pacing settings of these options, for <see cref="PredictionClients.Create"/>.</summary>
    public RetrySettings ToRetry() => new()
    {
        Attempts = Retries, Interval = BatchInterval, Workers = Workers, MaxOutage = MaxOutage, WaitReady = WaitReady,
    };
}
