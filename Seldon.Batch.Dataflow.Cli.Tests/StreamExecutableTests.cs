using System.Text.RegularExpressions;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The real executable in shell pipelines: <c>-i -</c> reads the standard input, <c>-o -</c> writes the
/// standard output, and what a stream cannot do is refused.</summary>
[Trait("Category", "Integration")]
public sealed partial class StreamExecutableTests(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-stream-exe-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private string[] Files() => [.. _dir.EnumerateFiles().Select(f => f.Name).Order(StringComparer.Ordinal)];

    private string[] Endpoint(string transport) =>
        ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{(transport == "grpc" ? fixture.Server.GrpcPort : fixture.Server.RestPort)}", "-t", transport, "-u", "stream-batch"];

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Cat_into_the_processor_and_out_of_it_gives_the_file_run_s_lines(string transport)
    {
        var input = PathOf("in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 200).Select(i => i == 17 ? "{oops" : $"[[{i}, 2]]"));
        var fileRun = await RunAsync([.. Endpoint(transport), "-w", "4", "-s", "8", "-i", input, "-o", PathOf("out.txt")]);
        Assert.True(fileRun.Code == 0, fileRun.Stderr);

        var fileRunLeft = Files();

        // In the folder of the file run: anything a stream run left next to "-" would be there.
        var (code, stdout, stderr) = await ShellPipeline.RunAsync(
            "cat \"$1\" | $CLI \"${@:2}\"", [input, .. Endpoint(transport), "-w", "4", "-s", "8", "-i", "-", "-o", "-", "-b"], folder: _dir.FullName);

        Assert.True(code == 0, stderr);
        // Only the output lines are on stdout: the logs and the -b summary are on stderr.
        Assert.Equal(Normalized(await File.ReadAllTextAsync(PathOf("out.txt"))), Normalized(stdout));
        Assert.Contains("instances: 200", stderr);
        Assert.Equal(fileRunLeft, Files());
    }

    [Fact]
    public async Task A_csv_table_from_stdin_is_named_by_the_environment_and_its_format()
    {
        var input = PathOf("in.csv");
        await File.WriteAllLinesAsync(input, ["x,y", "1,2", "3,4", "5,6"]);

        var (code, stdout, stderr) = await ShellPipeline.RunAsync(
            "$CLI \"$@\" < \"$INPUT\"", [.. Endpoint("rest"), "--input-format", "csv", "-o", "-"],
            new Dictionary<string, string> { ["SELDON_BATCH_INPUT_DATA_PATH"] = "-", ["INPUT"] = input });

        Assert.True(code == 0, stderr);
        var lines = stdout.TrimEnd('\n').Split('\n');
        Assert.Equal(3, lines.Length);
        // The demo model doubles each row's numbers.
        Assert.Equal([2.0, 4.0], Row(lines[0]));
        Assert.Equal([10.0, 12.0], Row(lines[2]));
    }

    [Fact]
    public async Task A_reader_that_leaves_ends_the_run_cleanly_with_exit_141()
    {
        var input = PathOf("in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 20_000).Select(i => $"[[{i}, 1, 2, 3]]"));

        // head reads the first line and exits; the processor's next write finds the pipe closed.
        var (code, stdout, stderr) = await ShellPipeline.RunAsync(
            "cat \"$1\" | $CLI \"${@:2}\" | head -1; echo \"exit ${PIPESTATUS[1]}\" >&2", [input, .. Endpoint("rest"), "-w", "4", "-s", "50", "-i", "-", "-o", "-"]);

        Assert.True(code == 0, stderr);
        Assert.Single(stdout.TrimEnd('\n').Split('\n'));
        Assert.Contains("exit 141", stderr);
        Assert.Contains("the standard output was closed by its reader (a broken pipe)", stderr);
        Assert.DoesNotContain("   at ", stderr);
        Assert.DoesNotContain("Exception", stderr);
    }

    [Theory]
    [InlineData("--resume", "-i", "--resume: a stream cannot be resumed")]
    [InlineData("--resume", "-o", "--resume: a stream cannot be resumed")]
    [InlineData("--retry-failed", "-i", "--retry-failed: a stream cannot be retried")]
    [InlineData("--restart", "-o", "--restart: a stream cannot be restarted")]
    [InlineData("--shard-count=2", "-o", "--shard-count 2: a stream cannot be sharded")]
    [InlineData("--input-format=parquet", "-i", "--input-format parquet: a Parquet input is read in any order")]
    [InlineData("--output-format=csv", "-o", "--output-format csv: a table output is written once its records are complete")]
    public async Task What_a_stream_cannot_do_is_refused_with_exit_2_before_anything_is_read(string flag, string stream, string message)
    {
        var file = PathOf("file.txt");
        await File.WriteAllLinesAsync(file, ["[[1]]"]);
        string[] paths = stream == "-i" ? ["-i", "-", "-o", PathOf("out.txt")] : ["-i", file, "-o", "-"];
        string[] shard = flag.StartsWith("--shard-count", StringComparison.Ordinal) ? ["--shard-index", "0"] : [];

        var (code, stdout, stderr) = await ShellPipeline.RunAsync("echo '[[1]]' | $CLI \"$@\"", [.. Endpoint("rest"), .. paths, .. flag.Split('='), .. shard], folder: _dir.FullName);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.Equal("", stdout);
        Assert.Equal(["file.txt"], Files());
    }

    [Fact]
    public async Task Merge_into_stdout_is_refused_with_exit_2()
    {
        var (code, _, stderr) = await RunAsync(["merge", "-o", "-", "--shard-count", "2"]);

        Assert.Equal(2, code);
        Assert.Contains("--output-data-path -: a stream cannot be merged into", stderr);
    }

    private static double[] Row(string line) =>
        [.. System.Text.Json.Nodes.JsonNode.Parse(line)!["data"]!["ndarray"]![0]!.AsArray().Select(v => v!.GetValue<double>())];

    /// <summary>The output with the ids that differ from run to run (each process draws its own) replaced.</summary>
    private static string Normalized(string output) => Uuid().Replace(output, "ID");

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();
}
