using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Cli;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary><c>--max-rate</c> and <c>--workers auto[:MAX]</c>: how they bind, and how bad values are refused (exit 2, one
/// line naming the flag) before any I/O.</summary>
public sealed class FlowOptionsTests
{
    private static readonly string[] Target = ["-d", "iris", "-i", "in.txt", "-o", "out.txt"];

    [Theory]
    [InlineData("auto", 64)]
    [InlineData("AUTO", 64)]
    [InlineData("auto:16", 16)]
    [InlineData(" auto:1 ", 1)]
    public void Workers_auto_binds_the_adaptive_limit_with_its_maximum(string value, int maximum)
    {
        var block = BatchCommandLineTests.Bind(null, [.. Target, "--workers", value]).Options.Block;

        Assert.Equal(maximum, block.AdaptiveConcurrency!.Maximum);
    }

    [Fact]
    public void Workers_auto_comes_from_the_environment_too_and_a_number_stays_fixed()
    {
        var fromEnvironment = BatchCommandLineTests.Bind(new Dictionary<string, string> { ["SELDON_BATCH_WORKERS"] = "auto:8" }, Target).Options.Block;
        var fixedWorkers = BatchCommandLineTests.Bind(null, [.. Target, "-w", "12"]).Options.Block;

        Assert.Equal(8, fromEnvironment.AdaptiveConcurrency!.Maximum);
        Assert.Null(fixedWorkers.AdaptiveConcurrency);
        Assert.Equal(12, fixedWorkers.Workers);
    }

    [Fact]
    public void Max_rate_binds_requests_or_rows_per_second_from_the_flag_or_the_environment()
    {
        var requests = BatchCommandLineTests.Bind(null, [.. Target, "--max-rate", "7.5"]).Options.Block.MaxRate!;
        var rows = BatchCommandLineTests.Bind(new Dictionary<string, string> { ["SELDON_BATCH_MAX_RATE"] = "20000/rows" }, Target).Options.Block.MaxRate!;
        var none = BatchCommandLineTests.Bind(null, Target).Options.Block.MaxRate;

        Assert.Equal((7.5, false), (requests.PerSecond, requests.CountsRows));
        Assert.Equal((20000.0, true), (rows.PerSecond, rows.CountsRows));
        Assert.Null(none);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("0")]
    [InlineData("-3/rows")]
    public async Task A_bad_max_rate_exits_2_naming_the_flag(string value)
    {
        var line = await BatchCommandLineTests.AssertRefusedAsync("--max-rate", null, [.. Target, "--max-rate", value]);

        Assert.Contains($"--max-rate must be a positive number of requests per second, or N/rows; not '{value}'", line);
    }

    [Theory]
    [InlineData("auto:0")]
    [InlineData("auto:x")]
    [InlineData("automatic")]
    [InlineData("many")]
    public async Task A_bad_workers_value_exits_2_naming_the_flag(string value)
    {
        var line = await BatchCommandLineTests.AssertRefusedAsync("--workers", new Dictionary<string, string> { ["SELDON_BATCH_WORKERS"] = value }, Target);

        Assert.Contains($"'{value}'", line);
    }
}
