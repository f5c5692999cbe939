using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Runs;

public sealed class BatchOptionsTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"batch-options-tests-{Guid.NewGuid():N}");
    private readonly string _input;

    public BatchOptionsTests()
    {
        Directory.CreateDirectory(_folder);
        _input = Path.Combine(_folder, "input.txt");
        File.WriteAllText(_input, "[[1]]\n");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private static readonly BatchOptions Valid = new() { Endpoint = new EndpointSettings { Host = "gw:80", DeploymentName = "iris" } };

    private static string Fails(BatchOptions options, bool checkFiles = false)
    {
        var ex = Assert.Throws<InvalidBatchOptionsException>(() => options.Validate(checkFiles));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
        return ex.Message;
    }

    [Fact]
    public void Defaults_are_those_of_the_original()
    {
        // Where the model is has no default in the library (the command line's is the original's istio ingress).
        var options = new BatchOptions { Endpoint = new EndpointSettings { Host = "gw:80", DeploymentName = "iris" } };

        Assert.Equal(GatewayType.Istio, options.Endpoint.Gateway);
        Assert.Equal("default", options.Endpoint.Namespace);
        Assert.Equal(TransportType.Rest, options.Endpoint.Transport);
        Assert.Equal(InferenceProtocol.Seldon, options.Endpoint.Protocol);
        Assert.Equal(DataType.Data, options.Block.DataType);
        Assert.Equal(PayloadType.Ndarray, options.Block.PayloadType);
        Assert.Equal(1, options.Block.Workers);
        Assert.Equal(3, options.Block.MaxAttempts);
        Assert.Equal("/assets/input-data.txt", options.InputDataPath);
        Assert.Equal("/assets/output-data.txt", options.OutputDataPath);
        Assert.Equal(PredictionMethod.Predict, options.Block.Method);
        Assert.Equal("", options.Block.BatchId);
        Assert.Equal(1, options.Block.BatchSize);
        Assert.Equal(TimeSpan.Zero, options.Block.BatchInterval);
        Assert.False(options.Endpoint.UseSsl);
        Assert.Equal("", options.Endpoint.Token);
        Assert.True(options.Endpoint.SslVerify);
        Assert.Equal(TimeSpan.FromSeconds(60), options.Endpoint.Timeout);
        Assert.Equal(4 * 1024 * 1024, options.Endpoint.MaxMessageBytes);
    }

    [Fact]
    public void Valid_options_pass_without_files()
    {
        BatchOptions[] valid =
        [
            Valid,
            Valid.WithBlock(b => b with { DataType = DataType.Raw, BatchSize = 16 }),
            Valid.WithBlock(b => b with { DataType = DataType.Data, PayloadType = PayloadType.Tensor, BatchSize = 2 }),
            Valid.WithBlock(b => b with { DataType = DataType.Raw, Method = PredictionMethod.Feedback }),
            Valid.WithBlock(b => b with { DataType = DataType.Json }),
            Valid.WithBlock(b => b with { PayloadType = PayloadType.Tftensor }),
            Valid.WithEndpoint(e => e with { MaxMessageBytes = 1024, Timeout = TimeSpan.FromMilliseconds(1) }).WithBlock(b => b with { BatchInterval = TimeSpan.Zero }),
        ];

        Assert.All(valid, options => Assert.Null(Record.Exception(() => options.Validate(checkFiles: false))));
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void Deployment_name_is_required(string name)
    {
        Assert.Equal("DeploymentName is required", Fails(Valid.WithEndpoint(e => e with { DeploymentName = name })));
    }

    [Fact]
    public void Host_must_not_be_empty()
    {
        Assert.Equal("Host must not be empty", Fails(Valid.WithEndpoint(e => e with { Host = " " })));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-3)]
    public void Workers_must_be_at_least_one(int workers)
    {
        Assert.Equal($"Workers must be at least 1, not {workers}", Fails(Valid.WithBlock(b => b with { Workers = workers })));
    }

    [Fact]
    public void Max_attempts_must_be_at_least_one()
    {
        Assert.Equal("MaxAttempts is the number of attempts per request and must be at least 1, not 0", Fails(Valid.WithBlock(b => b with { MaxAttempts = 0 })));
    }

    [Fact]
    public void Batch_size_must_be_at_least_one()
    {
        Assert.Equal("BatchSize must be at least 1, not 0", Fails(Valid.WithBlock(b => b with { BatchSize = 0 })));
    }

    [Fact]
    public void Batch_interval_must_not_be_negative()
    {
        Assert.Equal("BatchInterval must be 0 or more seconds, not -1.5", Fails(Valid.WithBlock(b => b with { BatchInterval = TimeSpan.FromSeconds(-1.5) })));
    }

    [Fact]
    public void Timeout_must_be_positive()
    {
        Assert.Equal("Timeout must be more than 0 seconds, not 0", Fails(Valid.WithEndpoint(e => e with { Timeout = TimeSpan.Zero })));
    }

    [Fact]
    public void Grpc_message_size_has_a_floor()
    {
        Assert.Equal("MaxMessageBytes must be at least 1024 bytes, not 1023", Fails(Valid.WithEndpoint(e => e with { MaxMessageBytes = 1023 })));
    }

    [Theory]
    [InlineData(DataType.Data, "data")]
    [InlineData(DataType.Json, "json")]
    [InlineData(DataType.Str, "str")]
    public void Feedback_needs_raw(DataType dataType, string name)
    {
        Assert.Equal(
            $"Method feedback needs DataType raw (each line a Feedback message), not DataType {name}",
            Fails(Valid.WithBlock(b => b with { Method = PredictionMethod.Feedback, DataType = dataType })));
    }

    [Fact]
    public void Feedback_is_not_micro_batched()
    {
        Assert.Equal(
            "Method feedback sends one Feedback message per request: use BatchSize 1",
            Fails(Valid.WithBlock(b => b with { Method = PredictionMethod.Feedback, DataType = DataType.Raw, BatchSize = 2 })));
    }

    [Theory]
    [InlineData(DataType.Json, "json")]
    [InlineData(DataType.Str, "str")]
    public void Json_and_str_are_not_micro_batched(DataType dataType, string name)
    {
        Assert.Equal(
            $"BatchSize 4 needs DataType data or raw: {name} lines cannot be merged into one request",
            Fails(Valid.WithBlock(b => b with { DataType = dataType, BatchSize = 4 })));
    }

    [Fact]
    public void Tftensor_is_not_micro_batched()
    {
        Assert.Equal(
            "BatchSize 3 works with PayloadType ndarray or tensor, not tftensor",
            Fails(Valid.WithBlock(b => b with { PayloadType = PayloadType.Tftensor, BatchSize = 3 })));
    }

    [Fact]
    public void The_first_invalid_setting_is_reported()
    {
        Assert.StartsWith("DeploymentName", Fails(new BatchOptions
        {
            Endpoint = new EndpointSettings { Host = "gw:80", DeploymentName = "" },
            Block = new PredictionBlockOptions { Workers = 0, BatchSize = 0 },
        }));
    }

    [Fact]
    public void Existing_input_and_writable_output_folder_pass()
    {
        var options = Valid with { InputDataPath = _input, OutputDataPath = Path.Combine(_folder, "out.txt") };

        Assert.Null(Record.Exception(() => options.Validate()));
        Assert.Equal(["input.txt"], Directory.GetFiles(_folder).Select(f => Path.GetFileName(f)!).ToArray());
    }

    [Fact]
    public void Missing_input_file_fails()
    {
        var missing = Path.Combine(_folder, "missing.txt");

        Assert.Equal(
            $"InputDataPath: no file at '{missing}'",
            Fails(Valid with { InputDataPath = missing, OutputDataPath = Path.Combine(_folder, "out.txt") }, checkFiles: true));
    }

    [Fact]
    public void Input_that_is_a_folder_fails()
    {
        Assert.StartsWith("InputDataPath", Fails(Valid with { InputDataPath = _folder, OutputDataPath = Path.Combine(_folder, "out.txt") }, checkFiles: true));
    }

    [Fact]
    public void Output_that_is_a_folder_fails()
    {
        Assert.Equal(
            $"OutputDataPath: '{_folder}' must be a file path, not a folder",
            Fails(Valid with { InputDataPath = _input, OutputDataPath = _folder }, checkFiles: true));
    }

    [Fact]
    public void Output_equal_to_input_fails()
    {
        var sameFile = Path.Combine(_folder, ".", "input.txt");

        Assert.Equal(
            $"OutputDataPath: '{sameFile}' is the input file; it would be overwritten",
            Fails(Valid with { InputDataPath = _input, OutputDataPath = sameFile }, checkFiles: true));
    }

    [Fact]
    public void Output_in_a_missing_folder_fails()
    {
        var missingFolder = Path.Combine(_folder, "nope");

        Assert.Equal(
            $"OutputDataPath: the folder '{missingFolder}' does not exist",
            Fails(Valid with { InputDataPath = _input, OutputDataPath = Path.Combine(missingFolder, "out.txt") }, checkFiles: true));
    }

    [Fact]
    public void Files_are_not_checked_without_check_files()
    {
        var options = Valid with { InputDataPath = Path.Combine(_folder, "missing.txt"), OutputDataPath = Path.Combine(_folder, "nope", "out.txt") };

        Assert.Null(Record.Exception(() => options.Validate(checkFiles: false)));
        Assert.StartsWith("InputDataPath", Fails(options, checkFiles: true));
    }
}
