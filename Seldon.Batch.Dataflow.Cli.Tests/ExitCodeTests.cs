using System.Text;
using Seldon.Batch.Dataflow.Server;
using Seldon.Batch.Dataflow.Tests.Storage;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>Failures outside the model, with the real executable: settings the user must fix exit 2, a store that failed
/// while running exits 3; either way one message naming the path or endpoint and the cause, and no empty side file left
/// behind. Also the smaller refusals of the command line (a shard count without a shard index) and what <c>merge</c> finds
/// or asks for.</summary>
[Trait("Category", "Integration")]
[LongRunning(45)]
public sealed class ExitCodeTests : IClassFixture<DemoServerFixture>, IClassFixture<MotoServerFixture>, IDisposable
{
    private readonly DemoServerFixture _model;
    private readonly MotoServerFixture _s3;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-exit-");

    public ExitCodeTests(DemoServerFixture model, MotoServerFixture s3)
    {
        _model = model;
        _s3 = s3;
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private string[] Model => ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{_model.Server.RestPort}", "-u", "exit-codes"];

    private async Task<string> InputAsync(int lines = 40)
    {
        var input = PathOf("in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, lines).Select(i => $"[[{i}, 1]]"));
        return input;
    }

    /// <summary>Runs the executable; a run that does not end within a minute is killed (it used to spin reading a
    /// device) and fails the test.</summary>
    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        using var process = Start(args, environment);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail($"the run did not end within a minute: {await stderr}");
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>Asserts the failure is said once: one error line (or, for settings, one line of the command's own), and
    /// <paramref name="cause"/> appears in it once.</summary>
    private static void AssertSaidOnce(string stderr, string cause)
    {
        var errors = stderr.Split('\n').Where(l => l.Contains(" ERROR ", StringComparison.Ordinal) || l.Contains(": error: ", StringComparison.Ordinal)).ToList();
        var error = Assert.Single(errors);
        Assert.Contains(cause, error);
        Assert.Equal(error.IndexOf(cause, StringComparison.Ordinal), error.LastIndexOf(cause, StringComparison.Ordinal));
    }

    private static void AssertNoPartialOutput(string output)
    {
        Assert.False(File.Exists(output), $"{output} exists");
        Assert.False(File.Exists(output + ".partial"), $"{output}.partial was left");
        Assert.False(File.Exists(output + ".partial.json"), $"{output}.partial.json was left");
    }

    [Fact]
    public async Task A_full_disk_under_the_side_file_exits_3_naming_it_and_leaves_no_empty_side_file()
    {
        var input = await InputAsync();
        var output = PathOf("out.txt");
        // Every write to /dev/full fails with ENOSPC: the side file sits on a full disk.
        File.CreateSymbolicLink(output + ".partial", "/dev/full");

        var (code, _, stderr) = await RunAsync([.. Model, "-i", input, "-o", output, "--resume"]);

        Assert.True(code == 3, $"exit code {code}: {stderr}");
        AssertSaidOnce(stderr, $"No space left on device : '{output}.partial'");
        Assert.Contains("the disk is full", stderr);
        // Nothing reached the disk: the empty side file (the link) and its record are gone, and --resume is not offered.
        AssertNoPartialOutput(output);
        Assert.Contains("Nothing was written, so no partial output is left", stderr);
        Assert.DoesNotContain("--resume to continue", stderr);
    }

    [Fact]
    public async Task A_disk_that_fills_up_before_the_output_is_published_exits_3_and_resume_completes_it()
    {
        var input = await InputAsync();
        var output = PathOf("out.txt");
        // The record of the complete output is the last thing written before the output is moved into place.
        var record = output + ".run.json.tmp";
        File.CreateSymbolicLink(record, "/dev/full");

        var (code, _, stderr) = await RunAsync([.. Model, "-i", input, "-o", output]);

        Assert.True(code == 3, $"exit code {code}: {stderr}");
        AssertSaidOnce(stderr, $"No space left on device : '{record}'");
        Assert.False(File.Exists(output));
        Assert.Equal(40, (await File.ReadAllLinesAsync(output + ".partial")).Length);
        Assert.Contains("run again with the same settings to continue", stderr);

        File.Delete(record);
        var resumed = await RunAsync([.. Model, "-i", input, "-o", output, "--resume"]);

        Assert.True(resumed.Code == 0, resumed.Stderr);
        Assert.Equal(40, (await File.ReadAllLinesAsync(output)).Length);
    }

    [Fact]
    public async Task A_side_file_path_that_cannot_be_written_exits_2_naming_it_and_leaves_no_record()
    {
        var input = await InputAsync();
        var output = PathOf("out.txt");
        // A folder where the side file should go: no run can write there, whatever it is given (root included).
        Directory.CreateDirectory(output + ".partial");

        var (code, stdout, stderr) = await RunAsync([.. Model, "-i", input, "-o", output]);

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        AssertSaidOnce(stderr, $"{output}.partial");
        Assert.StartsWith("seldon-batch-processor: error: --output-data-path: ", stderr.Split('\n').Single(l => l.Contains(": error: ", StringComparison.Ordinal)));
        Assert.Equal("", stdout);
        Assert.False(File.Exists(output + ".partial.json"), "the record of an output that was never written was left");
        Assert.False(File.Exists(output));
        Assert.DoesNotContain("--resume", stderr);
    }

    [Fact]
    public async Task An_output_folder_that_cannot_be_written_exits_2_naming_it()
    {
        var input = await InputAsync();
        // No one may create files in sysfs, root included.
        var (code, _, stderr) = await RunAsync([.. Model, "-i", input, "-o", "/sys/out.txt"]);

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        AssertSaidOnce(stderr, "cannot write in '/sys'");
        Assert.Contains("--output-data-path", stderr);
    }

    [Fact]
    public async Task An_object_store_on_a_closed_port_exits_3_naming_the_object_and_the_endpoint_setting_once()
    {
        var input = await InputAsync();
        using var port = new Seldon.Batch.Dataflow.Tests.Fixtures.ClosedPort();
        var closed = $"http://127.0.0.1:{port.Port}";
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = closed,
            ["AWS_ACCESS_KEY_ID"] = "testing",
            ["AWS_SECRET_ACCESS_KEY"] = "testing",
            ["AWS_REGION"] = "us-east-1",
        };

        var reading = await RunAsync([.. Model, "-i", "s3://bucket-gone/in.txt", "-o", PathOf("out.txt")], environment);
        var writing = await RunAsync([.. Model, "-i", input, "-o", "s3://bucket-gone/out.txt"], environment);

        Assert.True(reading.Code == 3, $"exit code {reading.Code}: {reading.Stderr}");
        AssertSaidOnce(reading.Stderr, "s3://bucket-gone/in.txt: reading the input's metadata failed: the object store cannot be reached");
        Assert.Contains("is --s3-endpoint right", reading.Stderr);
        AssertNoPartialOutput(PathOf("out.txt"));
        Assert.True(writing.Code == 3, $"exit code {writing.Code}: {writing.Stderr}");
        AssertSaidOnce(writing.Stderr, "s3://bucket-gone/out.txt");
        Assert.Contains("the object store cannot be reached", writing.Stderr);
    }

    [Fact]
    public async Task Missing_AWS_credentials_exit_2_saying_which_are_looked_for()
    {
        var bucket = await _s3.NewBucketAsync();
        await _s3.PutAsync(bucket, "in.txt", Encoding.UTF8.GetBytes("[[1, 2]]\n"));
        // Nothing in the SDK's chain: no variables, no profile files, no instance metadata.
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = _s3.Endpoint,
            ["AWS_ACCESS_KEY_ID"] = "",
            ["AWS_SECRET_ACCESS_KEY"] = "",
            ["AWS_SESSION_TOKEN"] = "",
            ["AWS_PROFILE"] = "",
            ["AWS_SHARED_CREDENTIALS_FILE"] = PathOf("no-credentials"),
            ["AWS_CONFIG_FILE"] = PathOf("no-config"),
            ["AWS_EC2_METADATA_DISABLED"] = "true",
            ["AWS_WEB_IDENTITY_TOKEN_FILE"] = "",
            ["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "",
            ["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "",
            ["AWS_REGION"] = "us-east-1",
        };

        var (code, _, stderr) = await RunAsync([.. Model, "-i", $"s3://{bucket}/in.txt", "-o", PathOf("out.txt")], environment);

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        AssertSaidOnce(stderr, $"s3://{bucket}/in.txt: no AWS credentials were found");
        Assert.Contains("AWS_ACCESS_KEY_ID", stderr);
        AssertNoPartialOutput(PathOf("out.txt"));
    }

    [Fact]
    public async Task A_bucket_that_does_not_exist_exits_2_naming_it()
    {
        var input = await InputAsync();
        var environment = new Dictionary<string, string>
        {
            ["AWS_ENDPOINT_URL_S3"] = _s3.Endpoint,
            ["AWS_ACCESS_KEY_ID"] = "testing",
            ["AWS_SECRET_ACCESS_KEY"] = "testing",
            ["AWS_REGION"] = "us-east-1",
        };

        var (code, _, stderr) = await RunAsync([.. Model, "-i", input, "-o", "s3://no-such-bucket-here/out.txt"], environment);

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        AssertSaidOnce(stderr, "the bucket 'no-such-bucket-here' does not exist");
    }

    [Fact]
    public async Task A_shard_count_without_a_shard_index_is_refused_instead_of_running_shard_0()
    {
        var input = await InputAsync();
        var output = PathOf("out.txt");

        var (code, _, stderr) = await RunAsync([.. Model, "-i", input, "-o", output, "--shard-count", "3"]);

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        AssertSaidOnce(stderr, "--shard-index (SELDON_BATCH_SHARD_INDEX) is required with --shard-count 3");
        Assert.False(Directory.Exists(output + ".parts"), "a shard ran");
    }

    [Fact]
    public async Task Merge_finds_the_parts_without_a_shard_count_and_a_missing_part_exits_2_naming_its_shard()
    {
        var input = await InputAsync(60);
        var output = PathOf("out.txt");
        for (var k = 0; k < 3; k++)
        {
            var shard = await RunAsync([.. Model, "-i", input, "-o", output, "--shard-count", "3", "--shard-index", $"{k}"]);
            Assert.True(shard.Code == 0, shard.Stderr);
        }

        var part = output + ".parts/part-00001-of-00003";
        File.Move(part, part + ".away");
        var missing = await RunAsync(["merge", "-o", output]);
        File.Move(part + ".away", part);
        var merged = await RunAsync(["merge", "-o", output, "-b"]);

        Assert.True(missing.Code == 2, $"exit code {missing.Code}: {missing.Stderr}");
        AssertSaidOnce(missing.Stderr, $"{part} is missing: shard 1 has not completed; run it (--shard-index 1), then merge again");
        Assert.True(merged.Code == 0, merged.Stderr);
        Assert.Contains("instances: 60", merged.Stdout);
        Assert.Equal(60, (await File.ReadAllLinesAsync(output)).Length);
    }

    [Fact]
    public async Task Merge_with_nothing_to_find_asks_for_the_shard_count()
    {
        var (code, _, stderr) = await RunAsync(["merge", "-o", PathOf("never-run.txt")]);

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        AssertSaidOnce(stderr, "there are no parts to merge at");
        Assert.Contains("Give their --shard-count", stderr);
        Assert.DoesNotContain("no file at", stderr);
    }

    public static TheoryData<string, string, string> WrongEndpoints => new()
    {
        // A REST client on the gRPC port: it used to complete, every line an error record.
        { "rest-to-grpc", "-g seldon", "is --transport right, or --host?" },
        // V2 through the ingress prefix against a server without it (MLServer's FastAPI: 404 {"detail":"Not Found"}).
        { "v2-route", "--protocol v2 -g istio", "no such route on the server: is --gateway-type right?" },
        // V2 against a Seldon server, which answers with its status: it used to be retried and blamed on the host.
        { "v2-to-seldon", "--protocol v2 -g seldon", "it speaks the Seldon protocol, not V2; is --protocol right?" },
    };

    [Theory]
    [MemberData(nameof(WrongEndpoints))]
    public async Task An_endpoint_of_another_kind_exits_3_at_once_naming_the_flag_to_change(string endpoint, string flags, string hint)
    {
        await using var server = endpoint switch
        {
            "v2-route" => await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1, AnswerStatus = 404, AnswerBody = """{"detail":"Not Found"}""" }),
            "v2-to-seldon" => await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1, AnswerStatus = 500, AnswerBody = """{"status":{"code":500,"info":"no V2 here","status":"FAILURE"}}""" }),
            _ => null,
        };
        var port = server?.RestPort ?? _model.Server.GrpcPort;
        var input = await InputAsync();
        var output = PathOf("out.txt");

        var (code, _, stderr) = await RunAsync(["-d", "demo", "-h", $"127.0.0.1:{port}", "-i", input, "-o", output, .. flags.Split(' ')]);

        Assert.True(code == 3, $"exit code {code}: {stderr}");
        AssertSaidOnce(stderr, hint);
        AssertNoPartialOutput(output);
        // At once: the question before the first line (V2) or the first request, not retried.
        Assert.InRange(server?.Statistics.Requests ?? 1, 1, 2);
    }
}
