using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>The options of the original <c>seldon-batch-processor</c> (same names, short names, environment
/// variables, defaults and choices) and the few this one adds, bound into <see cref="BatchOptions"/>.</summary>
internal sealed class BatchCommandLine
{
    public readonly CliSetting DeploymentName = new("--deployment-name", "-d", "SELDON_BATCH_DEPLOYMENT_NAME", null, "The name of the SeldonDeployment to send the requests to (required)", "TEXT");
    public readonly CliSetting GatewayType = new("--gateway-type", "-g", "SELDON_BATCH_GATEWAY_TYPE", "istio", "Through the ingress (istio, ambassador) or directly to the model's service (seldon)", "ambassador|istio|seldon");
    public readonly CliSetting Namespace = new("--namespace", "-n", "SELDON_BATCH_NAMESPACE", "default", "The Kubernetes namespace of the SeldonDeployment", "TEXT");
    public readonly CliSetting Host = new("--host", "-h", "SELDON_BATCH_HOST", "istio-ingressgateway.istio-system.svc.cluster.local:80", "host:port of the ingress or of the model's service", "HOST:PORT");
    public readonly CliSetting Transport = new("--transport", "-t", "SELDON_BATCH_TRANSPORT", "rest", "The transport: REST or gRPC", "rest|grpc");
    public readonly CliSetting DataType = new("--data-type", "-a", "SELDON_BATCH_DATA_TYPE", "data", "How each line is sent: data (array), json (jsonData), str (strData), raw (a whole Seldon message)", "data|json|str|raw");
    public readonly CliSetting PayloadType = new("--payload-type", "-p", "SELDON_BATCH_PAYLOAD_TYPE", "ndarray", "The payload kind of data requests", "ndarray|tensor|tftensor");
    public readonly CliSetting Workers = new("--workers", "-w", "SELDON_BATCH_WORKERS", "1", "Requests in flight at once (parallel workers); auto finds it from the model's latency and 429/503 answers, up to 64 (auto:MAX up to MAX)", "INTEGER|auto[:MAX]");
    public readonly CliSetting Retries = new("--retries", "-r", "SELDON_BATCH_RETRIES", "3", "Attempts per request for transient failures (429, 408, timeouts) before its lines become error records (3 = up to 3 tries)", "INTEGER");
    public readonly CliSetting InputDataPath = new("--input-data-path", "-i", "SELDON_BATCH_INPUT_DATA_PATH", "/assets/input-data.txt", "The input file or object (s3://bucket/key), one JSON document per line; - reads the standard input", "PATH|URL|-");
    public readonly CliSetting OutputDataPath = new("--output-data-path", "-o", "SELDON_BATCH_OUTPUT_DATA_PATH", "/assets/output-data.txt", "The output file or object (s3://bucket/key), one line per input line in input order; - writes the standard output", "PATH|URL|-");
    public readonly CliSetting Method = new("--method", "-m", "SELDON_BATCH_METHOD", "predict", "The model endpoint: predictions, or feedback (with --data-type raw)", "predict|feedback");
    public readonly CliSetting LogLevel = new("--log-level", "-l", "SELDON_BATCH_LOG_LEVEL", "info", "The log level (logs go to stderr)", "debug|info|warning|error");
    public readonly CliSetting LogFormat = new("--log-format", null, "SELDON_BATCH_LOG_FORMAT", "text", "How logs are written on stderr: text lines, or one JSON object per line (time, level, message, run_id, batch_id, the message's fields, trace_id) for a log store; json draws no progress bar", "text|json");
    public readonly CliSetting BatchId = new("--batch-id", "-u", "SELDON_BATCH_ID", null, "The batch_id tag of every request and output; a new unique id when not given", "TEXT");
    public readonly CliSetting BatchSize = new("--batch-size", "-s", "SELDON_BATCH_SIZE", "1", "Lines per request: above 1 the rows of several lines go in one request (data ndarray/tensor, raw) and the answer is split back", "INTEGER");
    public readonly CliSetting BatchInterval = new("--batch-interval", null, "SELDON_BATCH_MIN_INTERVAL", "0", "Minimum time in seconds between two requests of one worker", "FLOAT");
    public readonly CliSetting UseSsl = new("--use-ssl", null, "SELDON_BATCH_USE_SSL", "false", "Use https (REST) or TLS (gRPC)", "BOOLEAN");
    public readonly CliSetting Token = new("--call-credentials-token", null, "SELDON_BATCH_CALL_CREDENTIALS_TOKEN", "", "Auth token sent as X-Auth-Token; implies https as in the original", "TEXT");
    public readonly CliSetting SslVerify = new("--ssl-verify", null, "SELDON_BATCH_SSL_VERIFY", "true", "false accepts any server certificate", "BOOLEAN");
    public readonly CliSetting Timeout = new("--timeout", null, "SELDON_BATCH_TIMEOUT", "60", "Seconds allowed for one attempt of one request", "FLOAT");
    public readonly CliSetting MaxRate = new("--max-rate", null, "SELDON_BATCH_MAX_RATE", null, "At most N requests per second (N/rows: lines per second), all workers and retries together, evenly spaced", "N|N/rows");
    public readonly CliSetting GrpcMaxMessageSize = new("--grpc-max-message-size", null, "SELDON_BATCH_GRPC_MAX_MESSAGE_SIZE", "4194304", "Largest gRPC message sent or received, in bytes", "BYTES");

    public readonly CliSetting ShutdownTimeout = new("--shutdown-timeout", null, "SELDON_BATCH_SHUTDOWN_TIMEOUT", "30", "After Ctrl-C or SIGTERM, seconds that requests in flight may take to finish", "FLOAT");
    public readonly CliSetting MaxFailures = new("--max-failures", null, "SELDON_BATCH_MAX_FAILURES", null, "Stop the run (exit code 3) when more lines than N, or than N% of the lines done, failed; by default failures are only error records", "N|N%");
    public readonly CliSetting MaxOutage = new("--max-outage", null, "SELDON_BATCH_MAX_OUTAGE", "300", "Seconds to wait for a model that stopped answering (refused, 502/503/504, gRPC Unavailable) before stopping the run (exit code 3, resumable)", "FLOAT");
    public readonly CliSetting WaitReady = new("--wait-ready", null, "SELDON_BATCH_WAIT_READY", "0", "Seconds the model may take to answer the first request (a deployment still starting); 0 stops within seconds when nothing answers", "FLOAT");
    public readonly CliSetting SummaryPath = new("--summary-path", null, "SELDON_BATCH_SUMMARY_PATH", null, "Write the run's summary as JSON to this file (- for the standard output)", "PATH");

    public readonly CliSetting S3Endpoint = new("--s3-endpoint", null, "SELDON_BATCH_S3_ENDPOINT", null, "Endpoint of an S3-compatible store (MinIO, Ceph…) for s3:// paths; turns on path-style addressing. Default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, else AWS. Credentials: the AWS SDK's usual chain", "URL");
    public readonly CliSetting S3PartSize = new("--s3-part-size", null, "SELDON_BATCH_S3_PART_SIZE", "8388608", "Bytes of the first parts of an s3:// output's multipart upload (at least 5 MiB; doubles every 1,000 parts): at most this much output is predicted again after a SIGKILL", "BYTES");
    public readonly CliSetting InputCompression = new("--input-compression", null, "SELDON_BATCH_INPUT_COMPRESSION", "auto", "Whether the input is gzip, decoded while read (auto: when its name ends in .gz)", "auto|gzip|none");
    public readonly CliSetting ShardCount = new("--shard-count", null, "SELDON_BATCH_SHARD_COUNT", "1", "Split the input into N shards; this run processes one and writes <output>.parts/part-0000K-of-0000N (join them with merge)", "N");
    public readonly CliSetting ShardIndex = new("--shard-index", null, "SELDON_BATCH_SHARD_INDEX", null, "The shard this run processes, 0 to N-1; by default JOB_COMPLETION_INDEX when --shard-count is above 1, else 0", "K");

    // Tables: CSV and Parquet inputs and outputs.
    public readonly CliSetting InputFormat = new("--input-format", null, "SELDON_BATCH_INPUT_FORMAT", "auto", "How the input is read (auto: .parquet/.pq Parquet; .csv, .tsv, either with .gz, CSV; else JSON lines)", "auto|jsonl|csv|parquet");
    public readonly CliSetting OutputFormat = new("--output-format", null, "SELDON_BATCH_OUTPUT_FORMAT", "auto", "How the output is written (auto: by its name, as for the input); a CSV or Parquet output holds the kept input columns, the prediction columns and error", "auto|jsonl|csv|parquet");
    public readonly CliSetting Columns = new("--columns", null, "SELDON_BATCH_COLUMNS", null, "Table input: the columns that make the model's input row, in this order [default: every column]", "A,B,C");
    public readonly CliSetting KeepColumns = new("--keep-columns", null, "SELDON_BATCH_KEEP_COLUMNS", null, "Table output: the input columns copied into each output row ahead of the predictions; '' keeps none [default: every input column]", "A,B");
    public readonly CliSetting V2Inputs = new("--v2-inputs", null, "SELDON_BATCH_V2_INPUTS", "columns", "v2, table input: one input per column (pandas content type) or one [n, k] tensor named by --input-name", "columns|tensor");

    // The protocol choice (Open Inference Protocol, V2) and request headers.
    public readonly CliSetting Protocol = new("--protocol", null, "SELDON_BATCH_PROTOCOL", "seldon", "The protocol the model speaks: seldon (Seldon Core 1) or v2 (Open Inference Protocol: MLServer, Seldon Core 2, KServe, Triton)", "seldon|v2");
    public readonly CliSetting ModelName = new("--model-name", null, "SELDON_BATCH_MODEL_NAME", null, "v2: the model to call [default: the deployment name]", "TEXT");
    public readonly CliSetting ModelVersion = new("--model-version", null, "SELDON_BATCH_MODEL_VERSION", null, "v2: the model version to call [default: the server's default version]", "TEXT");
    public readonly CliSetting InputName = new("--input-name", null, "SELDON_BATCH_INPUT_NAME", null, "v2, data/str/json lines: the input tensor's name [default: from the model's metadata, else input-0]", "TEXT");
    public readonly CliSetting Datatype = new("--datatype", null, "SELDON_BATCH_DATATYPE", null, "v2, data lines: the input's datatype (FP32, INT64, BYTES…) [default: from the model's metadata, else from the values]", "DATATYPE");
    public readonly CliHeaders Headers = new();

    public readonly Option<bool> Resume = new("--resume")
    {
        Description = "Keep a complete output of this input and these settings instead of replacing it (nothing to do, exit 0); refuse one of another input. A partial output is continued with or without it [env: SELDON_BATCH_RESUME]",
    };

    public readonly Option<bool> Restart = new("--restart")
    {
        Description = "Discard the partial output an interrupted run left (<output>.partial, an s3:// output's upload, or a shard's published part) and start from the first line. Without it a run continues the partial output of the same input and settings, and refuses (exit 2) one of another input or other settings [env: SELDON_BATCH_RESTART]",
    };

    public readonly Option<bool> RetryFailed = new("--retry-failed")
    {
        Description = "Over the complete output of this input, send again only the lines written as error records and replace them in place (the output is replaced whole when the retry completes); a local file of a whole run, not an s3:// output or a shard's part [env: SELDON_BATCH_RETRY_FAILED]",
    };

    public readonly Option<bool> Benchmark = new("--benchmark", "-b")
    {
        Description = "Print a summary of the run on stdout (on stderr with -o -): instances, succeeded, failed, retries, elapsed, instances per second [env: SELDON_BATCH_BENCHMARK]",
    };

    public IEnumerable<CliSetting> Settings =>
    [
        DeploymentName, GatewayType, Namespace, Host, Transport, DataType, PayloadType, Workers, Retries,
        InputDataPath, OutputDataPath, Method, LogLevel, LogFormat, BatchId, BatchSize, BatchInterval, UseSsl, Token, SslVerify,
        Timeout, MaxRate, GrpcMaxMessageSize, ShutdownTimeout, MaxFailures, MaxOutage, WaitReady, SummaryPath,
        Protocol, ModelName, ModelVersion, InputName, Datatype, S3Endpoint, S3PartSize, InputCompression, ShardCount, ShardIndex,
        InputFormat, OutputFormat, Columns, KeepColumns, V2Inputs,
    ];

    /// <summary>The option of each property of <see cref="BatchOptions"/>, <see cref="EndpointSettings"/> and
    /// <see cref="PredictionBlockOptions"/> (by its bare name, unique across the three) that has one: the words in which
    /// this command tells the library's messages (validation, stop reasons, failure details), which name properties.</summary>
    public IReadOnlyDictionary<string, string> OptionsByProperty => new Dictionary<string, string>
    {
        [nameof(EndpointSettings.DeploymentName)] = DeploymentName.Name,
        [nameof(EndpointSettings.Gateway)] = GatewayType.Name,
        [nameof(EndpointSettings.Namespace)] = Namespace.Name,
        [nameof(EndpointSettings.Host)] = Host.Name,
        [nameof(EndpointSettings.Transport)] = Transport.Name,
        [nameof(PredictionBlockOptions.DataType)] = DataType.Name,
        [nameof(PredictionBlockOptions.PayloadType)] = PayloadType.Name,
        [nameof(PredictionBlockOptions.Workers)] = Workers.Name,
        [nameof(PredictionBlockOptions.AdaptiveConcurrency)] = Workers.Name,
        [nameof(PredictionBlockOptions.MaxRate)] = MaxRate.Name,
        [nameof(PredictionBlockOptions.MaxAttempts)] = Retries.Name,
        [nameof(BatchOptions.InputDataPath)] = InputDataPath.Name,
        [nameof(BatchOptions.OutputDataPath)] = OutputDataPath.Name,
        [nameof(PredictionBlockOptions.Method)] = Method.Name,
        [nameof(PredictionBlockOptions.BatchId)] = BatchId.Name,
        [nameof(PredictionBlockOptions.BatchSize)] = BatchSize.Name,
        [nameof(PredictionBlockOptions.BatchInterval)] = BatchInterval.Name,
        [nameof(EndpointSettings.UseSsl)] = UseSsl.Name,
        [nameof(EndpointSettings.Token)] = Token.Name,
        [nameof(EndpointSettings.SslVerify)] = SslVerify.Name,
        [nameof(EndpointSettings.Timeout)] = Timeout.Name,
        [nameof(EndpointSettings.MaxMessageBytes)] = GrpcMaxMessageSize.Name,
        [nameof(BatchOptions.ShutdownTimeout)] = ShutdownTimeout.Name,
        [nameof(BatchOptions.MaxFailures)] = MaxFailures.Name,
        [nameof(PredictionBlockOptions.MaxOutage)] = MaxOutage.Name,
        [nameof(PredictionBlockOptions.WaitReady)] = WaitReady.Name,
        [nameof(BatchOptions.SummaryPath)] = SummaryPath.Name,
        [nameof(BatchOptions.S3Endpoint)] = S3Endpoint.Name,
        [nameof(BatchOptions.S3PartSize)] = S3PartSize.Name,
        [nameof(BatchOptions.InputCompression)] = InputCompression.Name,
        [nameof(BatchOptions.ShardCount)] = ShardCount.Name,
        [nameof(BatchOptions.ShardIndex)] = ShardIndex.Name,
        [nameof(BatchOptions.InputFormat)] = InputFormat.Name,
        [nameof(BatchOptions.OutputFormat)] = OutputFormat.Name,
        [nameof(BatchOptions.Columns)] = Columns.Name,
        [nameof(BatchOptions.KeepColumns)] = KeepColumns.Name,
        [nameof(BatchOptions.V2Inputs)] = V2Inputs.Name,
        [nameof(EndpointSettings.Protocol)] = Protocol.Name,
        [nameof(EndpointSettings.ModelName)] = ModelName.Name,
        [nameof(EndpointSettings.ModelVersion)] = ModelVersion.Name,
        [nameof(PredictionBlockOptions.InputName)] = InputName.Name,
        [nameof(PredictionBlockOptions.InputDatatype)] = Datatype.Name,
        [nameof(EndpointSettings.Headers)] = Headers.Option.Name,
        [nameof(BatchOptions.Resume)] = Resume.Name,
        [nameof(BatchOptions.Restart)] = Restart.Name,
        [nameof(BatchOptions.RetryFailed)] = RetryFailed.Name,
    };

    /// <summary>The message of <paramref name="invalid"/> with each property it names written as its option
    /// (<c>Workers must be at least 1</c> → <c>--workers must be at least 1</c>).</summary>
    public string Describe(InvalidBatchOptionsException invalid) => invalid.FormatMessage(NameOf);

    /// <summary>The option of a property (<c>Host</c> → <c>--host</c>), or the property's own name when it has none: the
    /// words of the library's messages (validation, stop reasons, failure details) on this command line.</summary>
    public string NameOf(string property) => OptionsByProperty.TryGetValue(property, out var option) ? option : property;

    /// <summary>Validates <paramref name="options"/> as the library does (<see cref="Describe"/> words its message), but
    /// names the variable of a missing deployment name too: the one setting without a default, which a pod usually sets
    /// there.</summary>
    public void Validate(BatchOptions options)
    {
        if (string.IsNullOrWhiteSpace(options.Endpoint.DeploymentName))
        {
            throw new InvalidBatchOptionsException($"{DeploymentName.Name} ({DeploymentName.EnvironmentVariable}) is required");
        }

        options.Validate();
    }

    /// <summary>True when <paramref name="summaryPath"/> is <c>-</c>, the standard output, as for <c>-i</c> and <c>-o</c>;
    /// refused when the output lines go there too (<c>-o -</c>): a reader of them would get a JSON summary as a last line.</summary>
    internal static bool IsStandardOutput(CliSetting setting, string summaryPath, string outputPath)
    {
        if (summaryPath != "-")
        {
            return false;
        }

        return outputPath != "-"
            ? true
            : throw new InvalidBatchOptionsException(
                $"{setting.Name} -: the standard output already carries the output lines (-o -); give the summary a file, or write the output to a file");
    }

    /// <summary>Reads the options of the batch command; throws <see cref="InvalidBatchOptionsException"/> with the
    /// first invalid value.</summary>
    public CliRun Bind(ParseResult parse, Func<string, string?> environment)
    {
        string? Get(CliSetting s) => s.Resolve(parse, environment);
        // Each step reads the next run of the flags' table, in the table's order, so that the first value that cannot
        // be read is the one reported; the table mixes endpoint, block and run settings, hence steps by run, not by type.
        var options = BindTarget(Get);
        options = BindRequests(options, Get);
        options = BindConnection(options, Get);
        options = BindLimits(options, parse, environment, Get);
        options = BindProtocol(options, parse, environment, Get);
        options = BindShard(options, environment, Get);
        options = BindTables(options, Get);
        var level = CliLogging.ParseLevel(Get(LogLevel)) ?? throw Invalid(LogLevel, Get(LogLevel), "debug, info, warning, error");
        var format = CliLogging.ParseFormat(Get(LogFormat)) ?? throw Invalid(LogFormat, Get(LogFormat), "text, json");
        var benchmark = Flag(parse, Benchmark, environment("SELDON_BATCH_BENCHMARK"));
        var summaryToStdout = IsStandardOutput(SummaryPath, options.SummaryPath, options.OutputDataPath);
        return new CliRun(summaryToStdout ? options with { SummaryPath = "" } : options, level, benchmark, format, summaryToStdout);
    }

    /// <summary>Which model, through which gateway and host, over which transport.</summary>
    private BatchOptions BindTarget(Func<CliSetting, string?> get) => new()
    {
        Endpoint = new EndpointSettings
        {
            DeploymentName = get(DeploymentName) ?? "",
            Gateway = Choice<GatewayType>(GatewayType, get(GatewayType)),
            Namespace = get(Namespace) ?? "default",
            Host = get(Host) ?? "",
            Transport = Choice<TransportType>(Transport, get(Transport)),
        },
    };

    /// <summary>What each request holds, how many go at once, and the input and output.</summary>
    private BatchOptions BindRequests(BatchOptions options, Func<CliSetting, string?> get)
    {
        var dataType = Choice<DataType>(DataType, get(DataType));
        var payloadType = Choice<PayloadType>(PayloadType, get(PayloadType));
        var (workers, adaptive) = WorkersOf(get(Workers));
        var retries = Integer(Retries, get(Retries));
        var inputDataPath = get(InputDataPath) ?? "";
        var outputDataPath = get(OutputDataPath) ?? "";
        var method = Choice<PredictionMethod>(Method, get(Method));
        return options with
        {
            Block = options.Block with
            {
                DataType = dataType,
                PayloadType = payloadType,
                Workers = workers,
                AdaptiveConcurrency = adaptive,
                MaxRate = Rate(get(MaxRate)),
                MaxAttempts = retries,
                Method = method,
                BatchId = get(BatchId) ?? "",
                BatchSize = Integer(BatchSize, get(BatchSize)),
                BatchInterval = Seconds(BatchInterval, get(BatchInterval), allowZero: true),
            },
            InputDataPath = inputDataPath,
            OutputDataPath = outputDataPath,
        };
    }

    /// <summary>TLS, credentials, the time allowed per attempt and the largest gRPC message.</summary>
    private BatchOptions BindConnection(BatchOptions options, Func<CliSetting, string?> get) => options with
    {
        Endpoint = options.Endpoint with
        {
            UseSsl = Boolean(UseSsl, get(UseSsl)),
            Token = get(Token) ?? "",
            SslVerify = Boolean(SslVerify, get(SslVerify)),
            Timeout = Seconds(Timeout, get(Timeout), allowZero: false),
            MaxMessageBytes = Integer(GrpcMaxMessageSize, get(GrpcMaxMessageSize)),
        },
    };

    /// <summary>When the run stops, what it keeps of an earlier run, and the storage settings.</summary>
    private BatchOptions BindLimits(BatchOptions options, ParseResult parse, Func<string, string?> environment, Func<CliSetting, string?> get)
    {
        var shutdownTimeout = Seconds(ShutdownTimeout, get(ShutdownTimeout), allowZero: true);
        var maxFailures = FailureLimit.TryParse(get(MaxFailures), out var limit)
            ? limit
            : throw new InvalidBatchOptionsException($"--max-failures: '{get(MaxFailures)}' is neither a count (100) nor a percentage (5%)");
        var maxOutage = Seconds(MaxOutage, get(MaxOutage), allowZero: false);
        var waitReady = Seconds(WaitReady, get(WaitReady), allowZero: true);
        return options with
        {
            Block = options.Block with { MaxOutage = maxOutage, WaitReady = waitReady },
            ShutdownTimeout = shutdownTimeout,
            MaxFailures = maxFailures,
            SummaryPath = get(SummaryPath) ?? "",
            Resume = Flag(parse, Resume, environment("SELDON_BATCH_RESUME")),
            Restart = Flag(parse, Restart, environment("SELDON_BATCH_RESTART")),
            S3Endpoint = Endpoint(parse, environment),
            S3PartSize = Integer(S3PartSize, get(S3PartSize)),
            InputCompression = Choice<InputCompression>(InputCompression, get(InputCompression)),
        };
    }

    /// <summary>The protocol and what it names (model, version, headers, input), and whether to retry failed lines.</summary>
    private BatchOptions BindProtocol(BatchOptions options, ParseResult parse, Func<string, string?> environment, Func<CliSetting, string?> get) => options with
    {
        Endpoint = options.Endpoint with
        {
            Protocol = Choice<InferenceProtocol>(Protocol, get(Protocol)),
            ModelName = get(ModelName) ?? "",
            ModelVersion = get(ModelVersion) ?? "",
            Headers = Headers.Resolve(parse, environment),
        },
        Block = options.Block with
        {
            InputName = get(InputName) ?? "",
            InputDatatype = get(Datatype)?.Trim().ToUpperInvariant() ?? "",
        },
        RetryFailed = Flag(parse, RetryFailed, environment("SELDON_BATCH_RETRY_FAILED")),
    };

    /// <summary>The shard of the input this run processes.</summary>
    private BatchOptions BindShard(BatchOptions options, Func<string, string?> environment, Func<CliSetting, string?> get)
    {
        // An Indexed Job gives each pod its index in JOB_COMPLETION_INDEX: no wrapper script needed. An Indexed Job
        // that does not shard (one shard) keeps working whatever its index.
        var shardCount = Integer(ShardCount, get(ShardCount));
        var shardIndex = get(ShardIndex) ?? (shardCount > 1 ? NonEmpty(environment("JOB_COMPLETION_INDEX")) : null);
        if (shardIndex is null && shardCount > 1)
        {
            // Running shard 0 by default would leave the other shards to nobody, and merge would wait for them.
            throw new InvalidBatchOptionsException(
                $"{ShardIndex.Name} ({ShardIndex.EnvironmentVariable}) is required with {ShardCount.Name} {shardCount}: give each run its shard, 0 to {shardCount - 1} " +
                "(an Indexed Job's pods get theirs from JOB_COMPLETION_INDEX)");
        }

        return options with { ShardCount = shardCount, ShardIndex = Integer(ShardIndex, shardIndex ?? "0") };
    }

    /// <summary>The formats of the input and output and the columns of a table.</summary>
    private BatchOptions BindTables(BatchOptions options, Func<CliSetting, string?> get) => options with
    {
        InputFormat = Format(InputFormat, get(InputFormat)),
        OutputFormat = Format(OutputFormat, get(OutputFormat)),
        Columns = ColumnList(get(Columns)),
        KeepColumns = ColumnList(get(KeepColumns)),
        V2Inputs = Choice<V2InputLayout>(V2Inputs, get(V2Inputs)),
    };

    /// <summary>A format by the word users know (<c>jsonl</c> for <see cref="TableFormat.JsonLines"/>).</summary>
    internal static TableFormat Format(CliSetting setting, string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "auto" => TableFormat.Auto,
        "jsonl" or "jsonlines" or "json" => TableFormat.JsonLines,
        "csv" => TableFormat.Csv,
        "parquet" => TableFormat.Parquet,
        _ => throw Invalid(setting, value, "auto, jsonl, csv, parquet"),
    };

    /// <summary>Comma-separated column names, each trimmed (null when not given; '' is no column). The library refuses an
    /// empty or repeated name, naming the setting.</summary>
    internal static IReadOnlyList<string>? ColumnList(string? value) =>
        value is null ? null
        : value.Trim().Length == 0 ? []
        : [.. value.Split(',').Select(name => name.Trim())];

    /// <summary>The S3 endpoint: the flag or SELDON_BATCH_S3_ENDPOINT, else the AWS SDK's own variables (read here so
    /// that a custom endpoint also turns on path-style addressing).</summary>
    public string Endpoint(ParseResult parse, Func<string, string?> environment) =>
        S3Endpoint.Resolve(parse, environment) ?? NonEmpty(environment("AWS_ENDPOINT_URL_S3")) ?? NonEmpty(environment("AWS_ENDPOINT_URL")) ?? "";

    private static string? NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    /// <summary>A flag is on when given, or when its variable is set to anything but a false value.</summary>
    private static bool Flag(ParseResult parse, Option<bool> flag, string? variable) =>
        parse.GetValue(flag) || (variable is { Length: > 0 } && ParseBoolean(variable) != false);

    private static T Choice<T>(CliSetting setting, string? value) where T : struct, Enum
    {
        var names = Enum.GetNames<T>().Select(n => n.ToLowerInvariant()).ToArray();
        if (value is not null && names.Contains(value.Trim()))
        {
            return Enum.Parse<T>(value.Trim(), ignoreCase: true);
        }

        throw Invalid(setting, value, string.Join(", ", names));
    }

    /// <summary><c>--workers</c>: a whole number, or <c>auto</c> / <c>auto:MAX</c> for the adaptive limit.</summary>
    private (int Workers, AdaptiveConcurrency? Adaptive) WorkersOf(string? value)
    {
        var text = value?.Trim() ?? "";
        if (!text.StartsWith("auto", StringComparison.OrdinalIgnoreCase))
        {
            return int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                ? (n, null)
                : throw new InvalidBatchOptionsException($"{Workers.Name}: '{value}' is neither a whole number nor auto or auto:MAX");
        }

        if (text.Length == 4)
        {
            return (1, new AdaptiveConcurrency());
        }

        return text[4] == ':' && int.TryParse(text[5..], NumberStyles.None, CultureInfo.InvariantCulture, out var max) && max >= 1
            ? (1, new AdaptiveConcurrency { Maximum = max })
            : throw new InvalidBatchOptionsException($"{Workers.Name}: '{value}' is not auto:MAX with MAX a whole number of at least 1 (auto:16)");
    }

    /// <summary><c>--max-rate</c>: none when not given.</summary>
    private RequestRate? Rate(string? value) =>
        value is null ? null
        : RequestRate.TryParse(value, out var rate) ? rate
        : throw new InvalidBatchOptionsException($"{MaxRate.Name} must be a positive number of requests per second, or N/rows; not '{value}'");

    internal static int Integer(CliSetting setting, string? value) =>
        int.TryParse(value?.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new InvalidBatchOptionsException($"{setting.Name}: '{value}' is not a whole number");

    private static TimeSpan Seconds(CliSetting setting, string? value, bool allowZero)
    {
        if (!double.TryParse(value?.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) || !double.IsFinite(seconds))
        {
            throw new InvalidBatchOptionsException($"{setting.Name}: '{value}' is not a number of seconds");
        }

        if (seconds < 0 || (!allowZero && seconds == 0) || seconds > TimeSpan.MaxValue.TotalSeconds / 2)
        {
            throw new InvalidBatchOptionsException($"{setting.Name} must be {(allowZero ? "0 or more" : "more than 0")} seconds, not {value}");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    private static bool Boolean(CliSetting setting, string? value) =>
        ParseBoolean(value) ?? throw Invalid(setting, value, "true, false");

    /// <summary>The spellings click's BOOLEAN accepts, so existing scripts keep working.</summary>
    internal static bool? ParseBoolean(string? value) => value?.Trim().ToLowerInvariant() switch
    {
        "true" or "1" or "yes" or "y" or "t" or "on" => true,
        "false" or "0" or "no" or "n" or "f" or "off" => false,
        _ => null,
    };

    private static InvalidBatchOptionsException Invalid(CliSetting setting, string? value, string choices) =>
        new($"{setting.Name}: '{value}' is not one of {choices}");
}
