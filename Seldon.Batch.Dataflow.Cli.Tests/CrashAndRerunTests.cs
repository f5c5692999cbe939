using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Server;
using Seldon.Batch.Dataflow.Tests.Storage;
using Xunit.Abstractions;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The promise "nothing lost between runs", tried as a crashing pod tries it: the real executable killed with
/// SIGKILL at several moments in a row, each time started again with the same command (no <c>--resume</c>), ends with
/// the bytes of one clean run (apart from <c>batch_instance_id</c>), against a model whose answer depends on each row's
/// position in its request, so a run that grouped the lines differently would show it. REST and gRPC, a local file and
/// an s3:// object.</summary>
/// <remarks>Each case takes half a minute or more, and xunit runs the tests of one class one after another: each is a
/// class of its own (nested below) so that they run side by side, instead of being the longest chain of the suite.</remarks>
public abstract class CrashAndRerunTests : IAsyncLifetime, IDisposable
{
    private readonly ITestOutputHelper _log;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-crash-");
    private DemoModelServer _model = null!;

    private CrashAndRerunTests(ITestOutputHelper log) => _log = log;

    [Trait("Category", "Integration")]
    [LongRunning(35)]
    public sealed class OverRest(ITestOutputHelper log) : CrashAndRerunTests(log)
    {
        [Fact]
        public Task A_local_run_killed_six_times_and_started_again_writes_one_clean_runs_bytes() => LocalRunKilledSixTimesAsync("rest", seed: 11);
    }

    [Trait("Category", "Integration")]
    [LongRunning(31)]
    public sealed class OverGrpc(ITestOutputHelper log) : CrashAndRerunTests(log)
    {
        [Fact]
        public Task A_local_run_killed_six_times_and_started_again_writes_one_clean_runs_bytes() => LocalRunKilledSixTimesAsync("grpc", seed: 23);
    }

    [Trait("Category", "Integration")]
    [LongRunning(47)]
    public sealed class OnS3(MotoServerFixture s3, ITestOutputHelper log) : CrashAndRerunTests(log), IClassFixture<MotoServerFixture>
    {
        [Fact]
        public Task An_s3_run_killed_five_times_and_started_again_writes_one_clean_runs_bytes() => S3RunKilledFiveTimesAsync(s3);
    }

    // A few milliseconds per request, so a run lasts long enough to be killed several times.
    public async Task InitializeAsync() => _model = await DemoModelServer.StartAsync(new ServeOptions { AnswerPosition = true, DelayMs = 4 });

    public async Task DisposeAsync() => await _model.DisposeAsync();

    public void Dispose()
    {
        _dir.Delete(recursive: true);
        GC.SuppressFinalize(this);
    }

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private string[] Common(string transport) =>
        ["-d", "demo", "-g", "seldon", "-t", transport, "-h", $"127.0.0.1:{(transport == "grpc" ? _model.GrpcPort : _model.RestPort)}", "-w", "4", "-s", "7", "-u", "crash-batch"];

    private static string WithoutInstanceId(string line)
    {
        var json = JsonNode.Parse(line)!.AsObject();
        json["meta"]!["tags"]!.AsObject().Remove("batch_instance_id");
        return json.ToJsonString();
    }

    private static string[] Normalised(IEnumerable<string> lines) => [.. lines.Select(WithoutInstanceId)];

    private static string Input(int lines) => string.Concat(Enumerable.Range(0, lines).Select(i => $"[[{i % 97}, {i % 5}]]\n"));

    private async Task LocalRunKilledSixTimesAsync(string transport, int seed)
    {
        const int lines = 6_000;
        var input = PathOf("in.txt");
        await File.WriteAllTextAsync(input, Input(lines));
        // The clean run to compare with goes alongside the killed ones (another output, the same model).
        var referenceRun = RunAsync([.. Common(transport), "-i", input, "-o", PathOf("reference.txt")]);

        var output = PathOf("out.txt");
        string[] command = [.. Common(transport), "-i", input, "-o", output];
        var side = output + ".partial";
        var random = new Random(seed);
        var kills = 0;
        for (var attempt = 0; attempt < 6; attempt++)
        {
            // Each run is killed once its side file holds a random number of lines beyond what the last one kept (the
            // first one perhaps before it has written anything).
            var kept = File.Exists(side) ? LineCount(side) : 0;
            var target = kept + random.Next(0, (lines - kept) / 4);
            using var doomed = Start(command);
            if (await KillWhenAsync(doomed, () => Task.FromResult(File.Exists(side) && LineCount(side) >= target)))
            {
                kills++;
            }

            _log.WriteLine($"run {attempt}: {kept} lines kept, killed at >= {target}: exit {doomed.ExitCode}");
            if (doomed.ExitCode != 0)
            {
                Assert.False(File.Exists(output), "a killed run published its output");
            }
        }

        var keptAtLast = LineCount(side);
        var last = await RunAsync([.. command, "-b"]);
        var reference = await referenceRun;

        Assert.True(reference.Code == 0, reference.Stderr);
        Assert.True(last.Code == 0, last.Stderr);
        // The last run continued what the killed ones left instead of starting over.
        Assert.True(keptAtLast > 0, "the killed runs left nothing to continue");
        Assert.Contains($"resumed lines: {keptAtLast}", last.Stdout);
        Assert.True(kills >= 5, $"only {kills} of the 6 runs were killed before they finished");
        Assert.Equal(Normalised(await File.ReadAllLinesAsync(PathOf("reference.txt"))), Normalised(await File.ReadAllLinesAsync(output)));
        Assert.False(File.Exists(side));
    }

    private async Task S3RunKilledFiveTimesAsync(MotoServerFixture s3)
    {
        var bucket = await s3.NewBucketAsync();
        // About 120 bytes of output a line: 150,000 lines are three and a half 5 MiB parts.
        const int lines = 150_000;
        await s3.PutAsync(bucket, "in.txt", Encoding.UTF8.GetBytes(Input(lines)));
        var environment = new Dictionary<string, string>
        {
            ["SELDON_BATCH_S3_ENDPOINT"] = s3.Endpoint,
            ["AWS_ACCESS_KEY_ID"] = "testing",
            ["AWS_SECRET_ACCESS_KEY"] = "testing",
            ["AWS_REGION"] = "us-east-1",
        };
        string[] Run(string output) => ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{_model.RestPort}", "-w", "4", "-s", "50", "-u", "crash-batch", "--s3-part-size", "5242880", "-i", $"s3://{bucket}/in.txt", "-o", $"s3://{bucket}/{output}"];
        var clock = Stopwatch.StartNew();
        // Before the killed runs, not alongside them: moto_server would serve both, and the kills wait on its parts.
        var reference = await RunAsync(Run("reference.txt"), environment);
        Assert.True(reference.Code == 0, reference.Stderr);
        _log.WriteLine($"reference run: {clock.Elapsed}");

        var random = new Random(5);
        var kills = 0;
        for (var attempt = 0; attempt < 5; attempt++)
        {
            // Killed at a random moment: after a random number of its own uploaded parts (0: while it starts or fills its first).
            var parts = await PartsAsync(s3, bucket);
            var target = parts + random.Next(0, 2);
            using var doomed = Start(Run("out.txt"), environment);
            // Polled less often than a local file: each look is a request moto_server answers.
            if (await KillWhenAsync(doomed, async () => await PartsAsync(s3, bucket) >= target && (target > 0 || random.Next(4) == 0), pollMs: 50))
            {
                kills++;
            }

            _log.WriteLine($"run {attempt}: {parts} parts kept, killed at >= {target} parts: exit {doomed.ExitCode} at {clock.Elapsed}");
            if (doomed.ExitCode != 0)
            {
                Assert.Null(await s3.GetAsync(bucket, "out.txt"));
            }

            // The killed run's lease would hold the next run for up to its 30 s life (a pod restarted in place takes it
            // over at once, being the same host and pid; these runs are other processes). Taking over a dead holder's
            // lease is OutputLeaseTests' business: here it is removed, as its expiry would.
            await s3.Client.DeleteObjectAsync(bucket, "out.txt.lease.json");
        }

        var keptAtLast = await s3.GetAsync(bucket, "out.txt.upload.json") is { } checkpoint ? JsonNode.Parse(checkpoint)!["lines"]!.GetValue<long>() : 0;
        var last = await RunAsync([.. Run("out.txt"), "-b"], environment);
        _log.WriteLine($"last run: {clock.Elapsed}");

        Assert.True(last.Code == 0, last.Stderr);
        Assert.True(keptAtLast > 0, "the killed runs left no uploaded part to continue");
        Assert.Contains($"resumed lines: {keptAtLast}", last.Stdout);
        Assert.True(kills >= 4, $"only {kills} of the 5 runs were killed before they finished");
        Assert.Equal(
            Normalised(Encoding.UTF8.GetString((await s3.GetAsync(bucket, "reference.txt"))!).TrimEnd('\n').Split('\n')),
            Normalised(Encoding.UTF8.GetString((await s3.GetAsync(bucket, "out.txt"))!).TrimEnd('\n').Split('\n')));
    }

    private static async Task<int> PartsAsync(MotoServerFixture s3, string bucket) =>
        await s3.GetAsync(bucket, "out.txt.upload.json") is { } bytes ? JsonNode.Parse(bytes)!["parts"]!.AsArray().Count : 0;

    /// <summary>Kills <paramref name="process"/> with SIGKILL as soon as <paramref name="ready"/> holds; false when it
    /// finished first.</summary>
    private static async Task<bool> KillWhenAsync(Process process, Func<Task<bool>> ready, int pollMs = 10)
    {
        var deadline = Task.Delay(TimeSpan.FromSeconds(90));
        while (!process.HasExited && !deadline.IsCompleted && !await ready())
        {
            await Task.Delay(pollMs);
        }

        Assert.False(deadline.IsCompleted, "the run neither finished nor reached the point where it was to be killed");
        if (process.HasExited)
        {
            return false;
        }

        Assert.Equal(0, Kill(process.Id, 9));
        await process.WaitForExitAsync();
        return true;
    }

    private static int LineCount(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var buffer = new byte[1 << 16];
            var count = 0;
            int read;
            while ((read = stream.Read(buffer)) > 0)
            {
                count += buffer.AsSpan(0, read).Count((byte)'\n');
            }

            return count;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }
}
