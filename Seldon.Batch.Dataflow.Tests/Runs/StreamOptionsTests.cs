using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>What a stream (<c>-</c> as the input or output) cannot do is refused by the options, in property terms, before
/// any I/O; what it can do passes, files checked.</summary>
public sealed class StreamOptionsTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-stream-options-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static readonly BatchOptions Valid = new() { Endpoint = new EndpointSettings { Host = "gw:80", DeploymentName = "iris" } };

    public static TheoryData<string, string, string[]> Refusals => new()
    {
        { "resume from stdin", "a stream cannot be resumed", [nameof(BatchOptions.Resume), nameof(BatchOptions.InputDataPath)] },
        { "resume to stdout", "a stream cannot be resumed", [nameof(BatchOptions.Resume), nameof(BatchOptions.OutputDataPath)] },
        { "retry from stdin", "a stream cannot be retried", [nameof(BatchOptions.RetryFailed), nameof(BatchOptions.InputDataPath)] },
        { "retry to stdout", "a stream cannot be retried", [nameof(BatchOptions.RetryFailed), nameof(BatchOptions.OutputDataPath)] },
        { "restart to stdout", "a stream cannot be restarted", [nameof(BatchOptions.Restart), nameof(BatchOptions.OutputDataPath)] },
        { "shards from stdin", "a stream cannot be sharded", [nameof(BatchOptions.ShardCount), nameof(BatchOptions.InputDataPath)] },
        { "shards to stdout", "a stream cannot be sharded", [nameof(BatchOptions.ShardCount), nameof(BatchOptions.OutputDataPath)] },
        { "parquet from stdin", "a Parquet input is read in any order", [nameof(BatchOptions.InputFormat), nameof(BatchOptions.InputDataPath)] },
        { "csv to stdout", "a table output is written once its records are complete", [nameof(BatchOptions.OutputFormat), nameof(BatchOptions.OutputDataPath)] },
        { "a table from stdin", "a table output copies the input's columns", [nameof(BatchOptions.OutputFormat), nameof(BatchOptions.InputDataPath)] },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public void What_a_stream_cannot_do_is_refused_naming_the_setting_and_the_stream(string what, string why, string[] properties)
    {
        var options = what switch
        {
            "resume from stdin" => Valid with { InputDataPath = "-", Resume = true },
            "resume to stdout" => Valid with { OutputDataPath = "-", Resume = true },
            "retry from stdin" => Valid with { InputDataPath = "-", RetryFailed = true },
            "retry to stdout" => Valid with { OutputDataPath = "-", RetryFailed = true },
            "restart to stdout" => Valid with { OutputDataPath = "-", Restart = true },
            "shards from stdin" => Valid with { InputDataPath = "-", ShardCount = 2 },
            "shards to stdout" => Valid with { OutputDataPath = "-", ShardCount = 2 },
            "parquet from stdin" => Valid with { InputDataPath = "-", InputFormat = TableFormat.Parquet },
            "csv to stdout" => Valid with { OutputDataPath = "-", OutputFormat = TableFormat.Csv },
            _ => Valid with { InputDataPath = "-", OutputDataPath = "out.parquet" },
        };

        var refused = Assert.Throws<InvalidBatchOptionsException>(() => options.Validate(checkFiles: false));

        Assert.Contains(why, refused.Message);
        Assert.Equal(properties, refused.Properties);
    }

    [Fact]
    public void Streams_in_and_out_pass_the_checks_of_files()
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        File.WriteAllText(input, "[[1]]\n");

        (Valid with { InputDataPath = "-", OutputDataPath = "-" }).Validate(checkFiles: true);
        (Valid with { InputDataPath = "-", OutputDataPath = Path.Combine(_dir.FullName, "out.txt"), Restart = true }).Validate(checkFiles: true);
        (Valid with { InputDataPath = input, OutputDataPath = "-" }).Validate(checkFiles: true);
        (Valid with { InputDataPath = "-", InputFormat = TableFormat.Csv, OutputDataPath = "-" }).Validate(checkFiles: true);
    }
}
