using System.Reflection;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Block;

/// <summary>The block's options apart from the file run's, and validation that names properties, not flags.</summary>
public sealed class PredictionBlockOptionsTests
{
    private static readonly PropertyInfo[] BlockProperties = typeof(PredictionBlockOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance);

    private static InvalidBatchOptionsException Fails(PredictionBlockOptions options) =>
        Assert.Throws<InvalidBatchOptionsException>(() => options.Validate());

    [Fact]
    public void The_block_needs_no_endpoint_or_file_setting()
    {
        Assert.Null(Record.Exception(() => new PredictionBlockOptions().Validate()));
        Assert.DoesNotContain(BlockProperties, p => p.Name is "Host" or "DeploymentName" or "InputDataPath" or "OutputDataPath");
    }

    [Fact]
    public void Property_names_are_unique_across_the_three_option_types()
    {
        // Messages name a setting by its bare property name, which a front end maps to its own word: one name, one setting.
        var names = new[] { typeof(BatchOptions), typeof(EndpointSettings), typeof(PredictionBlockOptions) }
            .SelectMany(t => t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => (Type: t.Name, p.Name)))
            .ToArray();

        Assert.Empty(names.GroupBy(n => n.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => string.Join(", ", g)));
        Assert.Contains((nameof(BatchOptions), nameof(BatchOptions.Endpoint)), names);
        Assert.Contains((nameof(BatchOptions), nameof(BatchOptions.Block)), names);
    }

    [Fact]
    public void The_run_composes_the_endpoint_and_the_block_and_copies_none_of_their_settings()
    {
        var run = typeof(BatchOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name).ToHashSet();

        Assert.DoesNotContain(BlockProperties, p => run.Contains(p.Name));
        Assert.DoesNotContain(typeof(EndpointSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance), p => run.Contains(p.Name));
        Assert.Equal(typeof(EndpointSettings), typeof(BatchOptions).GetProperty(nameof(BatchOptions.Endpoint))!.PropertyType);
        Assert.Equal(typeof(PredictionBlockOptions), typeof(BatchOptions).GetProperty(nameof(BatchOptions.Block))!.PropertyType);
    }

    [Fact]
    public void A_setting_of_another_protocol_than_the_clients_is_refused_when_the_block_is_made()
    {
        using var seldon = new SilentClient(InferenceProtocol.Seldon);
        using var v2 = new SilentClient(InferenceProtocol.V2);

        var inputName = Assert.Throws<InvalidBatchOptionsException>(() => PredictionBlock.Create(seldon, new PredictionBlockOptions { InputName = "x" }));
        var feedback = Assert.Throws<InvalidBatchOptionsException>(() =>
            PredictionBlock.Create(v2, new PredictionBlockOptions { Method = PredictionMethod.Feedback, DataType = DataType.Raw }));

        Assert.Equal([nameof(PredictionBlockOptions.InputName), nameof(EndpointSettings.Protocol)], inputName.Properties);
        Assert.Equal([nameof(PredictionBlockOptions.Method), nameof(EndpointSettings.Protocol)], feedback.Properties);
        Assert.Null(Record.Exception(() => PredictionBlock.Create(v2, new PredictionBlockOptions { InputName = "x", InputDatatype = "FP32" })));
        Assert.Equal(0, seldon.Sent + v2.Sent);
    }

    [Fact]
    public void A_run_checks_the_endpoints_settings_and_the_blocks_against_the_endpoints_protocol()
    {
        var endpoint = new EndpointSettings { Host = "gw", DeploymentName = "iris" };

        var v2Setting = Assert.Throws<InvalidBatchOptionsException>(() =>
            new BatchOptions { Endpoint = endpoint, Block = new() { InputDatatype = "FP32" } }.Validate(checkFiles: false));
        var endpointRule = Assert.Throws<InvalidBatchOptionsException>(() =>
            new BatchOptions { Endpoint = endpoint with { MaxMessageBytes = 10 } }.Validate(checkFiles: false));

        Assert.Equal("InputDatatype belongs to Protocol v2; the Seldon protocol has no such setting", v2Setting.Message);
        Assert.Equal("MaxMessageBytes must be at least 1024 bytes, not 10", endpointRule.Message);
        Assert.Null(Record.Exception(() =>
            new BatchOptions { Endpoint = endpoint with { Protocol = InferenceProtocol.V2 }, Block = new() { InputDatatype = "FP32" } }.Validate(checkFiles: false)));
    }

    [Fact]
    public void A_rule_of_one_setting_names_its_property()
    {
        var error = Fails(new PredictionBlockOptions { Workers = 0 });

        Assert.Equal("Workers must be at least 1, not 0", error.Message);
        Assert.Equal(nameof(PredictionBlockOptions.Workers), error.Property);
        Assert.Equal([nameof(PredictionBlockOptions.Workers)], error.Properties);
    }

    [Fact]
    public void A_rule_of_two_settings_names_both_properties()
    {
        var error = Fails(new PredictionBlockOptions { Method = PredictionMethod.Feedback, DataType = DataType.Json });

        Assert.Equal("Method feedback needs DataType raw (each line a Feedback message), not DataType json", error.Message);
        Assert.Equal([nameof(PredictionBlockOptions.Method), nameof(PredictionBlockOptions.DataType)], error.Properties);
    }

    [Fact]
    public void A_rule_of_the_protocol_names_the_setting_and_the_protocol()
    {
        var error = Fails(new PredictionBlockOptions { InputName = "x" });

        Assert.Equal("InputName belongs to Protocol v2; the Seldon protocol has no such setting", error.Message);
        Assert.Equal([nameof(PredictionBlockOptions.InputName), nameof(EndpointSettings.Protocol)], error.Properties);
    }

    [Fact]
    public void A_rule_of_the_file_run_names_its_property()
    {
        var error = Assert.Throws<InvalidBatchOptionsException>(() =>
            new BatchOptions { Endpoint = new EndpointSettings { Host = "gw", DeploymentName = "iris" }, ShardCount = 3, ShardIndex = 3 }.Validate(checkFiles: false));

        Assert.Equal("ShardIndex must be from 0 to 2 (ShardCount 3), not 3", error.Message);
        Assert.Equal([nameof(BatchOptions.ShardIndex), nameof(BatchOptions.ShardCount)], error.Properties);
    }

    [Fact]
    public void A_rule_of_the_files_names_its_property()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-input-{Guid.NewGuid():N}.txt");

        var error = Assert.Throws<InvalidBatchOptionsException>(() =>
            new BatchOptions { Endpoint = new EndpointSettings { Host = "gw", DeploymentName = "iris" }, InputDataPath = missing, OutputDataPath = Path.Combine(Path.GetTempPath(), "out.txt") }.Validate());

        Assert.Equal($"InputDataPath: no file at '{missing}'", error.Message);
        Assert.Equal(nameof(BatchOptions.InputDataPath), error.Property);
    }

    [Fact]
    public void A_front_end_words_the_message_with_its_own_names()
    {
        var error = Fails(new PredictionBlockOptions { BatchSize = 4, DataType = DataType.Str });

        Assert.Equal(
            "<batch size> 4 needs <data type> data or raw: str lines cannot be merged into one request",
            error.FormatMessage(property => property == "BatchSize" ? "<batch size>" : "<data type>"));
        Assert.Equal("BatchSize 4 needs DataType data or raw: str lines cannot be merged into one request", error.Message);
    }

    [Fact]
    public void A_message_that_names_no_property_is_worded_as_it_is()
    {
        var error = new InvalidBatchOptionsException("the input changed");

        Assert.Null(error.Property);
        Assert.Empty(error.Properties);
        Assert.Equal("the input changed", error.FormatMessage(_ => "--never"));
    }

    /// <summary>A client that is never asked anything: the block refuses its options before any request.</summary>
    private sealed class SilentClient(InferenceProtocol protocol) : IPredictionClient
    {
        public int Sent { get; private set; }

        public InferenceProtocol Protocol => protocol;

        public Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
        {
            Sent++;
            return Task.FromResult(PredictionResponse.Failed(PredictionFailureKind.Line, 400, "not expected"));
        }

        public void Dispose()
        {
        }
    }
}
