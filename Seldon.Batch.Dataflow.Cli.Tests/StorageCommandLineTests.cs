using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Cli.Tests.BatchCommandLineTests;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The object storage and sharding options: flags, SELDON_BATCH_* variables and the variables of the
/// platform (AWS_ENDPOINT_URL*, JOB_COMPLETION_INDEX) they default from.</summary>
public sealed class StorageCommandLineTests
{
    [Fact]
    public void Defaults_are_one_shard_plain_input_and_the_sdk_endpoint()
    {
        var options = Bind(null, "-d", "m").Options;

        Assert.Equal(1, options.ShardCount);
        Assert.Equal(0, options.ShardIndex);
        Assert.Equal(InputCompression.Auto, options.InputCompression);
        Assert.Equal("", options.S3Endpoint);
        Assert.Equal(8 << 20, options.S3PartSize);
    }

    [Fact]
    public void The_s3_endpoint_comes_from_the_flag_then_its_variable_then_the_aws_variables()
    {
        var aws = new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "http://generic:9000", ["AWS_ENDPOINT_URL_S3"] = "http://s3-only:9000" };

        Assert.Equal("http://s3-only:9000", Bind(aws, "-d", "m").Options.S3Endpoint);
        Assert.Equal("http://generic:9000", Bind(new Dictionary<string, string> { ["AWS_ENDPOINT_URL"] = "http://generic:9000" }, "-d", "m").Options.S3Endpoint);
        Assert.Equal("http://ours:9000", Bind(new Dictionary<string, string>(aws) { ["SELDON_BATCH_S3_ENDPOINT"] = "http://ours:9000" }, "-d", "m").Options.S3Endpoint);
        Assert.Equal("http://flag:9000", Bind(aws, "-d", "m", "--s3-endpoint", "http://flag:9000").Options.S3Endpoint);
    }

    [Fact]
    public void The_shard_index_defaults_from_job_completion_index_only_when_sharding()
    {
        var pod = new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "5" };

        Assert.Equal(5, Bind(new Dictionary<string, string>(pod) { ["SELDON_BATCH_SHARD_COUNT"] = "8" }, "-d", "m").Options.ShardIndex);
        Assert.Equal(2, Bind(pod, "-d", "m", "--shard-count", "8", "--shard-index", "2").Options.ShardIndex);
        Assert.Equal(0, Bind(pod, "-d", "m").Options.ShardIndex);
        Assert.Equal(InputCompression.Gzip, Bind(null, "-d", "m", "--input-compression", "gzip").Options.InputCompression);
    }

    [Fact]
    public void A_shard_count_above_1_needs_a_shard_index_from_the_flag_its_variable_or_job_completion_index()
    {
        var refused = Assert.Throws<Seldon.Batch.Dataflow.InvalidBatchOptionsException>(() => Bind(null, "-d", "m", "--shard-count", "3"));

        Assert.Contains("--shard-index (SELDON_BATCH_SHARD_INDEX) is required with --shard-count 3", refused.Message);
        Assert.Equal(1, Bind(new Dictionary<string, string> { ["SELDON_BATCH_SHARD_INDEX"] = "1" }, "-d", "m", "--shard-count", "3").Options.ShardIndex);
        Assert.Equal(2, Bind(new Dictionary<string, string> { ["JOB_COMPLETION_INDEX"] = "2" }, "-d", "m", "--shard-count", "3").Options.ShardIndex);
        Assert.Equal(0, Bind(null, "-d", "m", "--shard-count", "1").Options.ShardIndex);
    }

    [Theory]
    [InlineData("--shard-index", "-i IN -o OUT --shard-count 3 --shard-index 3")]
    [InlineData("--shard-count", "-i IN -o OUT --shard-count 0")]
    [InlineData("--input-compression", "-i IN -o OUT --input-compression zip")]
    [InlineData("--output-data-path", "-i IN -o s3://x/key")]
    [InlineData("--input-data-path", "-o OUT -i s3://bucket")]
    [InlineData("--s3-part-size", "-i IN -o OUT --s3-part-size 1048576")]
    public async Task Bad_storage_settings_exit_2_naming_the_option(string option, string arguments)
    {
        var input = Path.GetTempFileName();
        try
        {
            string[] args = ["-d", "m", .. arguments.Replace("IN", input, StringComparison.Ordinal).Replace("OUT", input + ".out", StringComparison.Ordinal).Split(' ')];
            await AssertRefusedAsync(option, null, args);
        }
        finally
        {
            File.Delete(input);
        }
    }
}
