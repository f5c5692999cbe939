using System.CommandLine;
using System.CommandLine.Help;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow.Cli;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli.Tests;

public sealed class BatchCommandLineTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"batch-command-line-tests-{Guid.NewGuid():N}");
    private readonly string _input;
    private readonly string _output;

    public BatchCommandLineTests()
    {
        Directory.CreateDirectory(_folder);
        _input = Path.Combine(_folder, "input.txt");
        _output = Path.Combine(_folder, "output.txt");
        File.WriteAllText(_input, "[[1]]\n");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Parses as <see cref="CliApplication"/> does: every setting, --benchmark, and help as --help only.</summary>
    internal static CliRun Bind(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var line = new BatchCommandLine();
        var root = new RootCommand("test");
        foreach (var setting in line.Settings)
        {
            root.Options.Add(setting.Option);
        }

        root.Options.Add(line.Benchmark);
        root.Options.Add(line.Resume);
        root.Options.Add(line.Restart);
        root.Options.Add(line.RetryFailed);
        foreach (var help in root.Options.OfType<HelpOption>().ToList())
        {
            root.Options.Remove(help);
        }

        root.Options.Add(new HelpOption("--help"));
        var parse = root.Parse(args);
        Assert.Empty(parse.Errors);
        return line.Bind(parse, name => environment is not null && environment.TryGetValue(name, out var v) ? v : null);
    }

    private static CliRun Bind(params string[] args) => Bind(null, args);

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApplication.RunAsync(
            args,
            name => environment is not null && environment.TryGetValue(name, out var v) ? v : null,
            stdout,
            stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Runs arguments that must be refused before any I/O: exit code 2, one stderr line naming <paramref name="option"/>.</summary>
    internal static async Task<string> AssertRefusedAsync(string option, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var (code, stdout, stderr) = await RunAsync(environment, args);

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Equal("", stdout);
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var line = Assert.Single(lines).TrimEnd('\r');
        Assert.StartsWith("seldon-batch-processor: error: ", line);
        Assert.Contains(option, line);
        return line;
    }

    private string[] Valid(params string[] more) => ["-d", "iris", "-i", _input, "-o", _output, .. more];

    private static string Read(CliRun run, string property) => property switch
    {
        "LogLevel" => run.LogLevel.ToString(),
        "Benchmark" => run.Benchmark.ToString(),
        _ => Convert.ToString(Value(run.Options, property), CultureInfo.InvariantCulture)!,
    };

    /// <summary>The value of a property of the run's options, its endpoint's or its block's (the names are unique).</summary>
    private static object? Value(BatchOptions options, string property) =>
        typeof(BatchOptions).GetProperty(property)?.GetValue(options)
        ?? typeof(EndpointSettings).GetProperty(property)?.GetValue(options.Endpoint)
        ?? typeof(PredictionBlockOptions).GetProperty(property)!.GetValue(options.Block);

    [Theory]
    [InlineData("-d", "iris", "DeploymentName", "iris")]
    [InlineData("-g", "seldon", "Gateway", "Seldon")]
    [InlineData("-g", "ambassador", "Gateway", "Ambassador")]
    [InlineData("-n", "models", "Namespace", "models")]
    [InlineData("-h", "localhost:9000", "Host", "localhost:9000")]
    [InlineData("-t", "grpc", "Transport", "Grpc")]
    [InlineData("-a", "raw", "DataType", "Raw")]
    [InlineData("-a", "str", "DataType", "Str")]
    [InlineData("-p", "tftensor", "PayloadType", "Tftensor")]
    [InlineData("-w", "8", "Workers", "8")]
    [InlineData("-r", "5", "MaxAttempts", "5")]
    [InlineData("-i", "/data/in.txt", "InputDataPath", "/data/in.txt")]
    [InlineData("-o", "/data/out.txt", "OutputDataPath", "/data/out.txt")]
    [InlineData("-m", "feedback", "Method", "Feedback")]
    [InlineData("-l", "debug", "LogLevel", "Debug")]
    [InlineData("-l", "warning", "LogLevel", "Warning")]
    [InlineData("-l", "error", "LogLevel", "Error")]
    [InlineData("-u", "run-42", "BatchId", "run-42")]
    [InlineData("-s", "16", "BatchSize", "16")]
    public void Short_name_sets_its_option(string flag, string value, string property, string expected)
    {
        Assert.Equal(expected, Read(Bind(flag, value), property));
    }

    [Theory]
    [InlineData("--deployment-name", "iris", "DeploymentName", "iris")]
    [InlineData("--gateway-type", "seldon", "Gateway", "Seldon")]
    [InlineData("--namespace", "models", "Namespace", "models")]
    [InlineData("--host", "localhost:9000", "Host", "localhost:9000")]
    [InlineData("--transport", "grpc", "Transport", "Grpc")]
    [InlineData("--data-type", "json", "DataType", "Json")]
    [InlineData("--payload-type", "tensor", "PayloadType", "Tensor")]
    [InlineData("--workers", "8", "Workers", "8")]
    [InlineData("--retries", "1", "MaxAttempts", "1")]
    [InlineData("--input-data-path", "in.txt", "InputDataPath", "in.txt")]
    [InlineData("--output-data-path", "out.txt", "OutputDataPath", "out.txt")]
    [InlineData("--method", "feedback", "Method", "Feedback")]
    [InlineData("--log-level", "error", "LogLevel", "Error")]
    [InlineData("--batch-id", "b", "BatchId", "b")]
    [InlineData("--batch-size", "2", "BatchSize", "2")]
    [InlineData("--batch-interval", "1.5", "BatchInterval", "00:00:01.5000000")]
    [InlineData("--use-ssl", "true", "UseSsl", "True")]
    [InlineData("--call-credentials-token", "tok", "Token", "tok")]
    [InlineData("--ssl-verify", "false", "SslVerify", "False")]
    [InlineData("--timeout", "2", "Timeout", "00:00:02")]
    [InlineData("--grpc-max-message-size", "2048", "MaxMessageBytes", "2048")]
    [InlineData("--max-outage", "45", "MaxOutage", "00:00:45")]
    [InlineData("--wait-ready", "120", "WaitReady", "00:02:00")]
    public void Long_name_sets_its_option(string flag, string value, string property, string expected)
    {
        Assert.Equal(expected, Read(Bind(flag, value), property));
    }

    [Theory]
    [InlineData("-b")]
    [InlineData("--benchmark")]
    public void Benchmark_flag_turns_the_summary_on(string flag)
    {
        Assert.True(Bind(flag).Benchmark);
        Assert.False(Bind().Benchmark);
    }

    [Theory]
    [InlineData("SELDON_BATCH_DEPLOYMENT_NAME", "iris", "DeploymentName", "iris")]
    [InlineData("SELDON_BATCH_GATEWAY_TYPE", "ambassador", "Gateway", "Ambassador")]
    [InlineData("SELDON_BATCH_NAMESPACE", "models", "Namespace", "models")]
    [InlineData("SELDON_BATCH_HOST", "h:1", "Host", "h:1")]
    [InlineData("SELDON_BATCH_TRANSPORT", "grpc", "Transport", "Grpc")]
    [InlineData("SELDON_BATCH_DATA_TYPE", "raw", "DataType", "Raw")]
    [InlineData("SELDON_BATCH_PAYLOAD_TYPE", "tensor", "PayloadType", "Tensor")]
    [InlineData("SELDON_BATCH_WORKERS", "5", "Workers", "5")]
    [InlineData("SELDON_BATCH_RETRIES", "7", "MaxAttempts", "7")]
    [InlineData("SELDON_BATCH_INPUT_DATA_PATH", "/x/in", "InputDataPath", "/x/in")]
    [InlineData("SELDON_BATCH_OUTPUT_DATA_PATH", "/x/out", "OutputDataPath", "/x/out")]
    [InlineData("SELDON_BATCH_METHOD", "feedback", "Method", "Feedback")]
    [InlineData("SELDON_BATCH_LOG_LEVEL", "warning", "LogLevel", "Warning")]
    [InlineData("SELDON_BATCH_ID", "env-run", "BatchId", "env-run")]
    [InlineData("SELDON_BATCH_SIZE", "8", "BatchSize", "8")]
    [InlineData("SELDON_BATCH_MIN_INTERVAL", "0.25", "BatchInterval", "00:00:00.2500000")]
    [InlineData("SELDON_BATCH_USE_SSL", "true", "UseSsl", "True")]
    [InlineData("SELDON_BATCH_CALL_CREDENTIALS_TOKEN", "tok", "Token", "tok")]
    [InlineData("SELDON_BATCH_SSL_VERIFY", "false", "SslVerify", "False")]
    [InlineData("SELDON_BATCH_TIMEOUT", "3", "Timeout", "00:00:03")]
    [InlineData("SELDON_BATCH_GRPC_MAX_MESSAGE_SIZE", "4096", "MaxMessageBytes", "4096")]
    [InlineData("SELDON_BATCH_MAX_OUTAGE", "600", "MaxOutage", "00:10:00")]
    [InlineData("SELDON_BATCH_WAIT_READY", "30", "WaitReady", "00:00:30")]
    [InlineData("SELDON_BATCH_BENCHMARK", "true", "Benchmark", "True")]
    [InlineData("SELDON_BATCH_BENCHMARK", "1", "Benchmark", "True")]
    [InlineData("SELDON_BATCH_BENCHMARK", "false", "Benchmark", "False")]
    public void Environment_variable_is_used_without_a_flag(string variable, string value, string property, string expected)
    {
        Assert.Equal(expected, Read(Bind(new Dictionary<string, string> { [variable] = value }), property));
    }

    [Theory]
    [InlineData("SELDON_BATCH_WORKERS", "5", "-w", "3", "Workers", "3")]
    [InlineData("SELDON_BATCH_ID", "from-env", "-u", "from-flag", "BatchId", "from-flag")]
    [InlineData("SELDON_BATCH_SIZE", "8", "--batch-size", "2", "BatchSize", "2")]
    [InlineData("SELDON_BATCH_MIN_INTERVAL", "5", "--batch-interval", "0", "BatchInterval", "00:00:00")]
    [InlineData("SELDON_BATCH_HOST", "env:1", "-h", "flag:2", "Host", "flag:2")]
    [InlineData("SELDON_BATCH_GATEWAY_TYPE", "ambassador", "-g", "seldon", "Gateway", "Seldon")]
    [InlineData("SELDON_BATCH_USE_SSL", "true", "--use-ssl", "false", "UseSsl", "False")]
    public void Flag_beats_environment_variable(string variable, string envValue, string flag, string flagValue, string property, string expected)
    {
        var run = Bind(new Dictionary<string, string> { [variable] = envValue }, flag, flagValue);

        Assert.Equal(expected, Read(run, property));
    }

    [Fact]
    public void Defaults_follow_the_reference_table()
    {
        var run = Bind();
        var o = run.Options;

        Assert.Equal("", o.Endpoint.DeploymentName);
        Assert.Equal(GatewayType.Istio, o.Endpoint.Gateway);
        Assert.Equal("default", o.Endpoint.Namespace);
        Assert.Equal("istio-ingressgateway.istio-system.svc.cluster.local:80", o.Endpoint.Host);
        Assert.Equal(TransportType.Rest, o.Endpoint.Transport);
        Assert.Equal(DataType.Data, o.Block.DataType);
        Assert.Equal(PayloadType.Ndarray, o.Block.PayloadType);
        Assert.Equal(1, o.Block.Workers);
        Assert.Equal(3, o.Block.MaxAttempts);
        Assert.Equal("/assets/input-data.txt", o.InputDataPath);
        Assert.Equal("/assets/output-data.txt", o.OutputDataPath);
        Assert.Equal(PredictionMethod.Predict, o.Block.Method);
        Assert.Equal(LogLevel.Information, run.LogLevel);
        Assert.False(run.Benchmark);
        Assert.Equal("", o.Block.BatchId);
        Assert.Equal(1, o.Block.BatchSize);
        Assert.Equal(TimeSpan.Zero, o.Block.BatchInterval);
        Assert.False(o.Endpoint.UseSsl);
        Assert.Equal("", o.Endpoint.Token);
        Assert.True(o.Endpoint.SslVerify);
        Assert.Equal(TimeSpan.FromSeconds(60), o.Endpoint.Timeout);
        Assert.Equal(4194304, o.Endpoint.MaxMessageBytes);
        Assert.Equal(TimeSpan.FromSeconds(300), o.Block.MaxOutage);
        Assert.Equal(TimeSpan.Zero, o.Block.WaitReady);
    }

    [Fact]
    public void All_short_names_together()
    {
        var run = Bind(
            "-d", "iris", "-g", "seldon", "-n", "ns", "-h", "h:1", "-t", "grpc", "-a", "raw", "-p", "tensor", "-w", "4",
            "-r", "2", "-i", "in", "-o", "out", "-m", "feedback", "-l", "debug", "-u", "u1", "-s", "1", "-b");
        var o = run.Options;

        Assert.Equal(
            ("iris", GatewayType.Seldon, "ns", "h:1", TransportType.Grpc, DataType.Raw, PayloadType.Tensor, 4, 2, "in", "out", PredictionMethod.Feedback, "u1", 1),
            (o.Endpoint.DeploymentName, o.Endpoint.Gateway, o.Endpoint.Namespace, o.Endpoint.Host, o.Endpoint.Transport, o.Block.DataType, o.Block.PayloadType, o.Block.Workers, o.Block.MaxAttempts, o.InputDataPath, o.OutputDataPath, o.Block.Method, o.Block.BatchId, o.Block.BatchSize));
        Assert.Equal(LogLevel.Debug, run.LogLevel);
        Assert.True(run.Benchmark);
    }

    [Theory]
    [InlineData("--use-ssl", "yes", true)]
    [InlineData("--use-ssl", "1", true)]
    [InlineData("--use-ssl", "OFF", false)]
    [InlineData("--ssl-verify", "n", false)]
    public void Booleans_accept_the_click_spellings(string flag, string value, bool expected)
    {
        var o = Bind(flag, value).Options;

        Assert.Equal(expected, flag == "--use-ssl" ? o.Endpoint.UseSsl : o.Endpoint.SslVerify);
    }

    [Fact]
    public void Invalid_choice_throws_naming_the_option_and_the_choices()
    {
        var ex = Assert.Throws<InvalidBatchOptionsException>(() => Bind("-g", "nginx"));

        Assert.Equal("--gateway-type: 'nginx' is not one of ambassador, istio, seldon", ex.Message);
    }

    [Theory]
    [InlineData("--max-outage", "0", "--max-outage must be more than 0 seconds, not 0")]
    [InlineData("--max-outage", "soon", "--max-outage: 'soon' is not a number of seconds")]
    [InlineData("--wait-ready", "-1", "--wait-ready must be 0 or more seconds, not -1")]
    public void Outage_settings_are_checked(string flag, string value, string message)
    {
        var ex = Assert.Throws<InvalidBatchOptionsException>(() => Bind(flag, value));

        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Choices_from_the_environment_are_checked_too()
    {
        var ex = Assert.Throws<InvalidBatchOptionsException>(() => Bind(new Dictionary<string, string> { ["SELDON_BATCH_PAYLOAD_TYPE"] = "protobuf" }));

        Assert.StartsWith("--payload-type: 'protobuf'", ex.Message);
    }

    [Fact]
    public void Empty_environment_variable_counts_as_unset()
    {
        var run = Bind(new Dictionary<string, string> { ["SELDON_BATCH_WORKERS"] = "", ["SELDON_BATCH_GATEWAY_TYPE"] = "" });

        Assert.Equal(1, run.Options.Block.Workers);
        Assert.Equal(GatewayType.Istio, run.Options.Endpoint.Gateway);
    }

    // ---- through CliApplication.RunAsync: refused before any I/O ----------------------------

    [Fact]
    public async Task Zero_workers_is_refused()
    {
        var line = await AssertRefusedAsync("--workers", null, Valid("--workers", "0"));
        Assert.Contains("at least 1", line);
    }

    [Fact]
    public async Task Zero_workers_from_the_environment_is_refused()
    {
        await AssertRefusedAsync("--workers", new Dictionary<string, string> { ["SELDON_BATCH_WORKERS"] = "0" }, Valid());
    }

    [Fact]
    public async Task Unknown_choice_is_refused()
    {
        var line = await AssertRefusedAsync("--gateway-type", null, Valid("-g", "nginx"));
        Assert.Contains("nginx", line);
    }

    [Fact]
    public async Task Json_micro_batch_is_refused()
    {
        await AssertRefusedAsync("--batch-size", null, Valid("-a", "json", "-s", "4"));
    }

    [Fact]
    public async Task Feedback_with_data_is_refused()
    {
        await AssertRefusedAsync("--method feedback", null, Valid("-m", "feedback", "-a", "data"));
    }

    [Fact]
    public async Task Missing_input_file_is_refused()
    {
        var missing = Path.Combine(_folder, "missing.txt");

        var line = await AssertRefusedAsync("--input-data-path", null, "-d", "iris", "-i", missing, "-o", _output);
        Assert.Contains(missing, line);
    }

    [Fact]
    public async Task Output_folder_that_does_not_exist_is_refused()
    {
        var line = await AssertRefusedAsync("--output-data-path", null, "-d", "iris", "-i", _input, "-o", Path.Combine(_folder, "nope", "out.txt"));
        Assert.Contains("does not exist", line);
    }

    [Fact]
    public async Task Negative_batch_interval_is_refused()
    {
        await AssertRefusedAsync("--batch-interval", null, Valid("--batch-interval", "-1"));
    }

    [Fact]
    public async Task Negative_batch_interval_from_the_environment_is_refused()
    {
        await AssertRefusedAsync("--batch-interval", new Dictionary<string, string> { ["SELDON_BATCH_MIN_INTERVAL"] = "-1" }, Valid());
    }

    [Fact]
    public async Task Non_numeric_workers_is_refused()
    {
        var line = await AssertRefusedAsync("--workers", null, Valid("--workers", "abc"));
        Assert.Contains("'abc'", line);
    }

    [Theory]
    [InlineData("--outage-mode", "sometimes", "--outage-mode: 'sometimes' is not one of reset, 503")]
    [InlineData("--refuse-status", "404", "400 (bad data) or 500")]
    [InlineData("--answer-status", "abc", "--answer-status: 'abc' is not a valid int32")]
    public async Task Serve_refuses_bad_fault_settings_with_exit_code_2(string option, string value, string message)
    {
        var (code, _, stderr) = await RunAsync(null, "serve", "--port", "0", "--grpc-port", "-1", option, value);

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Contains(message, stderr);
    }

    [Fact]
    public async Task Unknown_option_is_refused()
    {
        await AssertRefusedAsync("--no-such-option", null, Valid("--no-such-option", "1"));
    }

    [Fact]
    public async Task Minus_h_without_a_value_is_refused_not_help()
    {
        var (code, stdout, stderr) = await RunAsync(null, Valid("-h"));

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Equal("", stdout);
        Assert.Contains("-h", Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public async Task Help_lists_every_long_option_and_minus_h_is_the_host()
    {
        var (code, stdout, stderr) = await RunAsync(null, "--help");

        Assert.Equal(ExitCodes.Success, code);
        Assert.Equal("", stderr);
        var line = new BatchCommandLine();
        foreach (var name in line.Settings.Select(s => s.Name).Concat(["--benchmark", "--help", "--resume", "--restart", "--retry-failed"]))
        {
            Assert.Contains(name, stdout);
        }

        Assert.Contains("-h, --host", stdout);
        Assert.DoesNotContain("-h, --help", stdout);
        Assert.Contains("SELDON_BATCH_MIN_INTERVAL", stdout);
        Assert.Contains("SELDON_BATCH_RESTART", stdout);
    }

    [Fact]
    public void Restart_is_a_flag_and_an_environment_variable()
    {
        Assert.True(Bind("--restart").Options.Restart);
        Assert.True(Bind(new Dictionary<string, string> { ["SELDON_BATCH_RESTART"] = "true" }).Options.Restart);
        Assert.False(Bind(new Dictionary<string, string> { ["SELDON_BATCH_RESTART"] = "false" }).Options.Restart);
        Assert.False(Bind().Options.Restart);
    }

    [Fact]
    public void Retry_failed_is_a_flag_and_an_environment_variable()
    {
        Assert.True(Bind("--retry-failed").Options.RetryFailed);
        Assert.True(Bind(new Dictionary<string, string> { ["SELDON_BATCH_RETRY_FAILED"] = "true" }).Options.RetryFailed);
        Assert.False(Bind(new Dictionary<string, string> { ["SELDON_BATCH_RETRY_FAILED"] = "false" }).Options.RetryFailed);
        Assert.False(Bind().Options.RetryFailed);
    }

    [Fact]
    public void Every_setting_the_library_can_name_maps_to_an_option_of_the_command()
    {
        var line = new BatchCommandLine();
        var options = line.OptionsByProperty;
        // The public settings the command has no option for: the progress log it turns off itself on a terminal, the
        // composed parts, the wording itself, and what only a program sets (a token, a clock, a logger, counters, where
        // numbering starts, the window).
        var notOptions = new[]
        {
            nameof(BatchOptions.ProgressInterval), nameof(BatchOptions.Endpoint), nameof(BatchOptions.Block), nameof(BatchOptions.SettingName),
            nameof(PredictionBlockOptions.CancellationToken), nameof(PredictionBlockOptions.TimeProvider), nameof(PredictionBlockOptions.LoggerFactory),
            nameof(PredictionBlockOptions.Statistics), nameof(PredictionBlockOptions.FirstIndex), nameof(PredictionBlockOptions.WindowLines),
        };
        var properties = new[] { typeof(BatchOptions), typeof(EndpointSettings), typeof(PredictionBlockOptions) }
            .SelectMany(t => t.GetProperties()).Where(p => p.SetMethod is not null).Select(p => p.Name).Except(notOptions);
        var commandOptions = line.Settings.Select(s => s.Name).Concat([line.Headers.Option.Name, line.Resume.Name, line.Restart.Name, line.RetryFailed.Name]).ToHashSet();

        Assert.All(properties, property => Assert.True(options.ContainsKey(property), $"{property} has no option in OptionsByProperty"));
        Assert.All(options.Values, option => Assert.Contains(option, commandOptions));
        // One option per setting, but --workers, which sets Workers or (auto) AdaptiveConcurrency.
        var distinct = options.Where(o => o.Key != nameof(PredictionBlockOptions.AdaptiveConcurrency)).ToList();
        Assert.Equal(distinct.Count, distinct.Select(o => o.Value).Distinct().Count());
        Assert.Equal(line.Workers.Name, options[nameof(PredictionBlockOptions.AdaptiveConcurrency)]);
    }

    [Theory]
    [InlineData("--workers must be at least 1, not 0", "--workers", "0")]
    [InlineData("--method feedback needs --data-type raw (each line a Feedback message), not --data-type json", "-m", "feedback", "-a", "json")]
    [InlineData("--shard-index must be from 0 to 2 (--shard-count 3), not 3", "--shard-count", "3", "--shard-index", "3")]
    [InlineData("--input-name belongs to --protocol v2; the Seldon protocol has no such setting", "--input-name", "x")]
    public async Task The_librarys_messages_name_the_options(string message, params string[] args)
    {
        var line = await AssertRefusedAsync(message, null, Valid(args));

        Assert.Equal($"seldon-batch-processor: error: {message} (see seldon-batch-processor --help)", line);
    }

    [Fact]
    public async Task A_missing_deployment_name_names_its_variable_too()
    {
        var line = await AssertRefusedAsync("--deployment-name", null, "-i", _input, "-o", _output);

        Assert.Equal("seldon-batch-processor: error: --deployment-name (SELDON_BATCH_DEPLOYMENT_NAME) is required (see seldon-batch-processor --help)", line);
    }

    [Fact]
    public async Task Resume_and_retry_failed_together_are_refused()
    {
        var message = await AssertRefusedAsync("--retry-failed", null, "-d", "demo", "-i", _input, "-o", _output, "--resume", "--retry-failed");

        Assert.Contains("--resume", message);
    }

    [Theory]
    [InlineData("--resume", null)]
    [InlineData("--retry-failed", null)]
    [InlineData(null, "SELDON_BATCH_RESUME")]
    public async Task Restart_with_what_keeps_an_output_is_refused(string? flag, string? variable)
    {
        var environment = variable is null ? null : new Dictionary<string, string> { [variable] = "true" };
        string[] args = flag is null ? Valid("--restart") : Valid("--restart", flag);

        var line = await AssertRefusedAsync("--restart and --", environment, args);

        Assert.Contains("do not go together", line);
        Assert.Contains(flag ?? "--resume", line);
    }
}
