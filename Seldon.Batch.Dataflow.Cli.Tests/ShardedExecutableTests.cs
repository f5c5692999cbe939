using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Server;
using Seldon.Batch.Dataflow.Tests.Storage;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The real executable as an Indexed Job runs it: shard processes told their index by JOB_COMPLETION_INDEX,
/// a shard killed with SIGKILL and resumed, <c>merge</c>, and <c>s3://</c> input and output.</summary>
[Trait("Category", "Integration")]
[LongRunning(34)]
public sealed class ShardedExecutableTests : IClassFixture<DemoServerFixture>, IClassFixture<MotoServerFixture>, IDisposable
{
    private readonly DemoServerFixture _model;
    private readonly MotoServerFixture _s3;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-exe-shard-");

    public ShardedExecutableTests(DemoServerFixture model, MotoServerFixture s3)
    {
        _model = model;
        _s3 = s3;
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static string WithoutInstanceId(string line)
    {
        var json = JsonNode.Parse(line)!.AsObject();
        json["meta"]!["tags"]!.AsObject().Remove("batch_instance_id");
        return json.ToJsonString();
    }

    private static string[] Normalised(IEnumerable<string> lines) => lines.Select(WithoutInstanceId).ToArray();

    private static string[] Common(int port, int workers = 2) => ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{port}", "-w", $"{workers}", "-u", "exe-shards"];

    private async Task<string> InputAsync(int lines)
    {
        var input = PathOf("in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, lines).Select(i => $"[[{i}, {i % 3}]]"));
        return input;
    }

    [Fact]
    public async Task Shard_processes_indexed_by_job_completion_index_then_merge_equal_one_run()
    {
        var input = await InputAsync(300);
        var reference = await RunAsync([.. Common(_model.Server.RestPort), "-i", input, "-o", PathOf("reference.txt")]);
        Assert.True(reference.Code == 0, reference.Stderr);

        var shards = await Task.WhenAll(Enumerable.Range(0, 3).Select(k => RunAsync(
            [.. Common(_model.Server.RestPort), "-i", input, "-o", PathOf("out.txt"), "--resume"],
            new Dictionary<string, string> { ["SELDON_BATCH_SHARD_COUNT"] = "3", ["JOB_COMPLETION_INDEX"] = $"{k}" })));
        var merge = await RunAsync(["merge", "-o", PathOf("out.txt"), "--shard-count", "3", "--summary-path", PathOf("summary.json"), "-b"]);

        Assert.All(shards, s => Assert.True(s.Code == 0, s.Stderr));
        Assert.True(File.Exists(PathOf("out.txt.parts/part-00002-of-00003")));
        Assert.True(merge.Code == 0, merge.Stderr);
        Assert.Contains("instances: 300", merge.Stdout);
        Assert.Equal(Normalised(await File.ReadAllLinesAsync(PathOf("reference.txt"))), Normalised(await File.ReadAllLinesAsync(PathOf("out.txt"))));
        Assert.Equal(300, JsonNode.Parse(await File.ReadAllTextAsync(PathOf("summary.json")))!["succeeded"]!.GetValue<long>());
    }

    [Fact]
    public async Task A_shard_killed_mid_run_resumes_its_own_part()
    {
        // Slow enough that the killed shard (600 lines, 2 workers) runs for seconds: its side file is flushed once a second,
        // and whenever 64 KiB of lines are buffered, so it may end inside a micro-batch. The model answers a row by its
        // position in the request: the resumed shard must send the micro-batches one process sends.
        // Only the killed shard goes to the slow model; the other runs to the same model without the delay.
        await using var positional = await DemoModelServer.StartAsync(new ServeOptions { AnswerPosition = true });
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 60, AnswerPosition = true });
        var input = await InputAsync(1200);
        var reference = await RunAsync([.. Common(positional.RestPort, workers: 8), "-s", "7", "-i", input, "-o", PathOf("reference.txt")]);
        Assert.True(reference.Code == 0, reference.Stderr);
        string[] Shard(int port, int k) => [.. Common(port), "-s", "7", "-i", input, "-o", PathOf("out.txt"), "--shard-count", "2", "--shard-index", $"{k}"];
        var first = await RunAsync(Shard(positional.RestPort, 0));
        Assert.True(first.Code == 0, first.Stderr);

        var side = PathOf("out.txt.parts/part-00001-of-00002.partial");
        using (var doomed = Start(Shard(slow.RestPort, 1)))
        {
            // The side file reaches the disk about once a second: wait for a real prefix, then kill without warning.
            await KillWhenAsync(doomed, () => Task.FromResult(File.Exists(side) && LineCount(side) >= 20));
        }

        Assert.False(File.Exists(PathOf("out.txt.parts/part-00001-of-00002")));
        var resumed = await RunAsync([.. Shard(positional.RestPort, 1), "--resume", "-b"]);
        var merge = await RunAsync(["merge", "-o", PathOf("out.txt"), "--shard-count", "2"]);

        Assert.True(resumed.Code == 0, resumed.Stderr);
        Assert.Contains("resumed lines:", resumed.Stdout);
        Assert.True(merge.Code == 0, merge.Stderr);
        Assert.Equal(Normalised(await File.ReadAllLinesAsync(PathOf("reference.txt"))), Normalised(await File.ReadAllLinesAsync(PathOf("out.txt"))));
    }

    /// <summary>Kills <paramref name="process"/> with SIGKILL (no chance to clean up) as soon as <paramref name="ready"/> holds.</summary>
    private static async Task KillWhenAsync(Process process, Func<Task<bool>> ready, int pollMs = 20)
    {
        var deadline = Task.Delay(TimeSpan.FromSeconds(90));
        while (!process.HasExited && !deadline.IsCompleted && !await ready())
        {
            await Task.Delay(pollMs);
        }

        Assert.False(process.HasExited, "the run finished before it could be killed");
        Assert.False(deadline.IsCompleted, "the run never reached the point where it was to be killed");
        Assert.Equal(0, Kill(process.Id, 9));
        await process.WaitForExitAsync();
    }

    private static Dictionary<string, string> S3Environment(string endpointVariable, string endpoint) => new()
    {
        [endpointVariable] = endpoint,
        ["AWS_ACCESS_KEY_ID"] = "testing",
        ["AWS_SECRET_ACCESS_KEY"] = "testing",
        ["AWS_REGION"] = "us-east-1",
    };

    private static int LineCount(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        var count = 0;
        int b;
        while ((b = stream.ReadByte()) >= 0)
        {
            count += b == '\n' ? 1 : 0;
        }

        return count;
    }

    [Fact]
    public async Task S3_input_and_output_through_the_aws_endpoint_variable()
    {
        var bucket = await _s3.NewBucketAsync();
        var input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 200).Select(i => $"[[{i}, 2]]\n")));
        await _s3.PutAsync(bucket, "batch/in.txt", input);
        var environment = S3Environment("AWS_ENDPOINT_URL", _s3.Endpoint);

        var run = await RunAsync([.. Common(_model.Server.RestPort), "-i", $"s3://{bucket}/batch/in.txt", "-o", $"s3://{bucket}/batch/out.txt", "-b"], environment);
        var missing = await RunAsync([.. Common(_model.Server.RestPort), "-i", $"s3://{bucket}/batch/nothing.txt", "-o", $"s3://{bucket}/batch/out2.txt"], environment);
        var malformed = await RunAsync([.. Common(_model.Server.RestPort), "-i", "s3://UPPER/in.txt", "-o", PathOf("out.txt")], environment);

        Assert.True(run.Code == 0, run.Stderr);
        Assert.Contains("succeeded: 200", run.Stdout);
        var lines = Encoding.UTF8.GetString((await _s3.GetAsync(bucket, "batch/out.txt"))!).TrimEnd('\n').Split('\n');
        Assert.Equal(200, lines.Length);
        Assert.Equal(199, JsonNode.Parse(lines[^1])!["meta"]!["tags"]!["batch_index"]!.GetValue<long>());
        Assert.Equal(2, missing.Code);
        Assert.Contains("no such object", missing.Stderr);
        Assert.Equal(2, malformed.Code);
        Assert.Contains("not a valid bucket name", malformed.Stderr);
    }

    /// <summary>The longest case here (a slowed run killed once its first 5 MiB part is uploaded, then resumed): a class of
    /// its own, so that it runs beside the others instead of after them (xunit runs the tests of one class one after
    /// another).</summary>
    [Trait("Category", "Integration")]
    [LongRunning(52)]
    public sealed class KilledMidUpload(MotoServerFixture s3) : IClassFixture<MotoServerFixture>
    {
        [Fact]
        public async Task A_run_killed_mid_upload_resumes_after_its_last_uploaded_part()
        {
            var bucket = await s3.NewBucketAsync();
            // About 200 bytes of output a line: 80,000 lines are three 5 MiB parts and a last one.
            var input = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 80_000).Select(i => $"[[{i}, {i % 9}]]\n")));
            await s3.PutAsync(bucket, "in.txt", input);
            var environment = S3Environment("SELDON_BATCH_S3_ENDPOINT", s3.Endpoint);
            // The model answers a row by its position in the request, and a part ends wherever 5 MiB of lines do: the resumed
            // run must send the micro-batch the last part ends in whole, as one uninterrupted run sends it.
            await using var positional = await DemoModelServer.StartAsync(new ServeOptions { AnswerPosition = true });
            await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 20, AnswerPosition = true });
            string[] Run(int port) => [.. Common(port, workers: 4), "-s", "50", "--s3-part-size", "5242880", "-i", $"s3://{bucket}/in.txt"];
            var reference = await RunAsync([.. Run(positional.RestPort), "-o", $"s3://{bucket}/reference.txt"], environment);
            Assert.True(reference.Code == 0, reference.Stderr);

            long kept;
            using (var doomed = Start([.. Run(slow.RestPort), "-o", $"s3://{bucket}/out.txt"], environment))
            {
                // Polled less often than a local file: each look is a request moto_server answers.
                await KillWhenAsync(doomed, async () => await s3.GetAsync(bucket, "out.txt.upload.json") is { } bytes && JsonNode.Parse(bytes)!["parts"]!.AsArray().Count >= 1, pollMs: 50);
                kept = JsonNode.Parse((await s3.GetAsync(bucket, "out.txt.upload.json"))!)!["lines"]!.GetValue<long>();
            }

            Assert.Null(await s3.GetAsync(bucket, "out.txt"));
            var resumed = await RunAsync([.. Run(positional.RestPort), "-o", $"s3://{bucket}/out.txt", "--resume", "-b"], environment);

            Assert.True(resumed.Code == 0, resumed.Stderr);
            Assert.InRange(kept, 1, 79_999);
            Assert.Contains($"resumed lines: {kept}", resumed.Stdout);
            Assert.Equal(
                Normalised(Encoding.UTF8.GetString((await s3.GetAsync(bucket, "reference.txt"))!).TrimEnd('\n').Split('\n')),
                Normalised(Encoding.UTF8.GetString((await s3.GetAsync(bucket, "out.txt"))!).TrimEnd('\n').Split('\n')));
        }
    }
}
