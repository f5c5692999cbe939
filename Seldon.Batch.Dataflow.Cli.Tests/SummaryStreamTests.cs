using System.Text.Json;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary><c>--summary-path -</c>: the summary's JSON on the standard output, for a workflow step that reads it from
/// there (as <c>-i -</c> and <c>-o -</c> name the standard streams), and refused where the output lines are already.</summary>
[Trait("Category", "Integration")]
public sealed class SummaryStreamTests(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-summary-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private string[] Endpoint() => ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{fixture.Server.RestPort}", "-u", "summary-batch"];

    [Fact]
    public async Task A_dash_writes_the_same_json_as_a_file_would_on_stdout_and_no_file_named_dash()
    {
        var input = PathOf("in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 40).Select(i => i == 7 ? "{oops" : $"[[{i}, 2]]"));

        // In the test's folder: the file a '-' would name is there.
        var run = await ShellPipeline.RunAsync("$CLI \"$@\"", [.. Endpoint(), "-w", "2", "-i", input, "-o", PathOf("out.txt"), "--summary-path", "-"], folder: _dir.FullName);

        Assert.True(run.Code == 0, run.Stderr);
        using var summary = JsonDocument.Parse(run.Stdout);
        Assert.Equal(40, summary.RootElement.GetProperty("instances").GetInt64());
        Assert.Equal(1, summary.RootElement.GetProperty("failed").GetInt64());
        Assert.False(File.Exists(PathOf("-")), "a file named '-' was written");
    }

    [Fact]
    public async Task The_merge_writes_its_summary_on_stdout_too()
    {
        var input = PathOf("in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 30).Select(i => $"[[{i}, 2]]"));
        for (var shard = 0; shard < 2; shard++)
        {
            var part = await RunAsync([.. Endpoint(), "-i", input, "-o", PathOf("out.txt"), "--shard-count", "2", "--shard-index", $"{shard}"]);
            Assert.True(part.Code == 0, part.Stderr);
        }

        var merge = await ShellPipeline.RunAsync("$CLI \"$@\"", ["merge", "-o", PathOf("out.txt"), "--summary-path", "-"], folder: _dir.FullName);

        Assert.True(merge.Code == 0, merge.Stderr);
        using var summary = JsonDocument.Parse(merge.Stdout);
        Assert.Equal(30, summary.RootElement.GetProperty("instances").GetInt64());
        Assert.Equal(30, File.ReadAllLines(PathOf("out.txt")).Length);
        Assert.False(File.Exists(PathOf("-")), "a file named '-' was written");
    }

    [Fact]
    public async Task With_the_output_on_stdout_too_it_is_refused_before_anything_is_sent()
    {
        var input = PathOf("in.txt");
        await File.WriteAllLinesAsync(input, ["[[1, 2]]"]);
        var before = fixture.Server.Statistics.Requests;

        var run = await RunAsync([.. Endpoint(), "-i", input, "-o", "-", "--summary-path", "-"]);

        Assert.Equal(2, run.Code);
        Assert.Contains("--summary-path -: the standard output already carries the output lines (-o -)", run.Stderr);
        Assert.Equal("", run.Stdout);
        Assert.Equal(before, fixture.Server.Statistics.Requests);
    }
}
