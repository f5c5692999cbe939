using System.Reflection;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Pipeline;

/// <summary>The block's options apart from the file run's, and validation that names properties, not flags.</summary>
public sealed class PredictionBlockOptionsTests
{
    private static readonly PropertyInfo[] BlockProperties = typeof(PredictionBlockOptions)
        .GetProperties(BindingFlags.Public | BindingFlags.Instance);

    private static InvalidBatchOptionsException Fails(PredictionBlockOptions options) =>
        Assert.Throws<InvalidBatchOptionsException>(options.Validate);

    [Fact]
    public void The_block_needs_no_endpoint_or_file_setting()
    {
        Assert.Null(Record.Exception(() => new PredictionBlockOptions().Validate()));
        Assert.DoesNotContain(BlockProperties, p => p.Name is "Host" or "DeploymentName" or "InputDataPath" or "OutputDataPath");
    }

    [Fact]
    public void Each_block_setting_is_a_run_setting_of_the_same_name_type_and_default()
    {
        var run = new BatchOptions();
        var block = new PredictionBlockOptions();

        Assert.All(BlockProperties, p =>
        {
            var same = typeof(BatchOptions).GetProperty(p.Name);
            Assert.NotNull(same);
            Assert.Equal(p.PropertyType, same.PropertyType);
            Assert.Equal(p.GetValue(block), same.GetValue(run));
        });
    }

    [Fact]
    public void The_run_hands_every_block_setting_to_its_block()
    {
        var run = new BatchOptions
        {
            Protocol = InferenceProtocol.V2,
            DataType = DataType.Raw,
            PayloadType = PayloadType.Tensor,
            Method = PredictionMethod.Feedback,
            InputName = "x",
            Datatype = "FP32",
            BatchId = "b",
            BatchSize = 7,
            BatchInterval = TimeSpan.FromSeconds(2),
            Workers = 9,
            Retries = 5,
            MaxOutage = TimeSpan.FromSeconds(11),
            WaitReady = TimeSpan.FromSeconds(13),
        };

        var block = run.ToBlockOptions();

        // Every value above differs from its default: a setting left out of ToBlockOptions would show here.
        Assert.All(BlockProperties, p => Assert.NotEqual(p.GetValue(new PredictionBlockOptions()), p.GetValue(block)));
        Assert.All(BlockProperties, p => Assert.Equal(typeof(BatchOptions).GetProperty(p.Name)!.GetValue(run), p.GetValue(block)));
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
        Assert.Equal([nameof(PredictionBlockOptions.InputName), nameof(PredictionBlockOptions.Protocol)], error.Properties);
    }

    [Fact]
    public void A_rule_of_the_file_run_names_its_property()
    {
        var error = Assert.Throws<InvalidBatchOptionsException>(() =>
            new BatchOptions { DeploymentName = "iris", ShardCount = 3, ShardIndex = 3 }.Validate(checkFiles: false));

        Assert.Equal("ShardIndex must be from 0 to 2 (ShardCount 3), not 3", error.Message);
        Assert.Equal([nameof(BatchOptions.ShardIndex), nameof(BatchOptions.ShardCount)], error.Properties);
    }

    [Fact]
    public void A_rule_of_the_files_names_its_property()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"no-such-input-{Guid.NewGuid():N}.txt");

        var error = Assert.Throws<InvalidBatchOptionsException>(() =>
            new BatchOptions { DeploymentName = "iris", InputDataPath = missing, OutputDataPath = Path.Combine(Path.GetTempPath(), "out.txt") }.Validate());

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
}
