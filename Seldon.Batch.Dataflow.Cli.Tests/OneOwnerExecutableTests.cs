using System.Diagnostics;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Tests.Fixtures;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>Two processes of the real executable on one output, as a retried Argo step overlapping its first try or a
/// cron overlap starts them: one writes the output, the other exits 2 at once naming it and touching nothing. The model
/// sits behind a <see cref="GatedProxy"/> that holds every request until the loser has exited, so the two surely overlap
/// however slowly the machine starts processes.</summary>
[Trait("Category", "Integration")]
public sealed class OneOwnerExecutableTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    private readonly DemoServerFixture _model;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-exe-owner-");

    public OneOwnerExecutableTests(DemoServerFixture model) => _model = model;

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private async Task<string> InputAsync(int lines)
    {
        var input = PathOf("in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, lines).Select(i => $"[[{i}, {i % 3}]]"));
        return input;
    }

    private static string[] Args(int port, string input, string output, string batchId, bool resume) =>
        ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{port}", "-w", "2", "-s", "4", "-u", batchId, "-i", input, "-o", output, .. resume ? new[] { "--resume" } : Array.Empty<string>()];

    private static string WithoutInstanceId(string line)
    {
        var json = JsonNode.Parse(line)!.AsObject();
        json["meta"]!["tags"]!.AsObject().Remove("batch_instance_id");
        return json.ToJsonString();
    }

    /// <summary>The output one process alone writes for batch <paramref name="batchId"/>, without instance ids.</summary>
    private async Task<string[]> ReferenceAsync(string input, string batchId)
    {
        var reference = PathOf($"reference-{batchId}.txt");
        var run = await RunAsync(Args(_model.Server.RestPort, input, reference, batchId, resume: false));
        Assert.True(run.Code == 0, run.Stderr);
        return (await File.ReadAllLinesAsync(reference)).Select(WithoutInstanceId).ToArray();
    }

    private static int Count(string text, string part)
    {
        var count = 0;
        for (var at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    [Theory]
    [InlineData("a", false, false)]
    [InlineData("b", true, true)]
    [InlineData("a", false, true)]
    [InlineData("b", false, true)]
    public async Task Two_processes_started_together_on_one_output_never_both_exit_0(string startedFirst, bool resumeA, bool resumeB)
    {
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var input = await InputAsync(100);
        var output = PathOf("out.txt");
        var runs = new Dictionary<string, string[]>
        {
            ["run-a"] = Args(gate.Port, input, output, "run-a", resumeA),
            ["run-b"] = Args(gate.Port, input, output, "run-b", resumeB),
        };
        var order = startedFirst == "a" ? new[] { "run-a", "run-b" } : ["run-b", "run-a"];
        using var first = Start(runs[order[0]]);
        using var second = Start(runs[order[1]]);
        var processes = new Dictionary<string, Process> { [order[0]] = first, [order[1]] = second };
        var waits = processes.ToDictionary(p => p.Key, p => WaitAsync(p.Value));

        // The one that holds the output waits at the gate: the first to exit is the other.
        var ended = await Task.WhenAny(waits.Values).WaitAsync(Patience);
        var loser = waits.Single(w => w.Value == ended).Key;
        var winner = loser == "run-a" ? "run-b" : "run-a";
        var lost = await ended;
        await gate.FirstConnection.WaitAsync(Patience);

        Assert.True(lost.Code == 2, $"{loser} exited {lost.Code}: {lost.Stderr}");
        Assert.Contains(
            $"seldon-batch-processor: error: {output} is being written by another run (pid {processes[winner].Id} on {Environment.MachineName} since ",
            lost.Stderr,
            StringComparison.Ordinal);
        Assert.Contains($", batch '{winner}'); wait for it to end, or give this run another output path", lost.Stderr, StringComparison.Ordinal);
        Assert.Equal(1, Count(lost.Stderr, "is being written by another run"));
        Assert.False(processes[winner].HasExited);
        Assert.True(File.Exists(output + ".partial"), "the loser must not delete the side file of the run that holds the output");
        Assert.True(File.Exists(output + ".partial.json"));

        gate.Open();
        var won = await waits[winner];

        Assert.True(won.Code == 0, won.Stderr);
        var text = await File.ReadAllTextAsync(output);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        Assert.Equal(await ReferenceAsync(input, winner), text.TrimEnd('\n').Split('\n').Select(WithoutInstanceId));
        Assert.False(File.Exists(output + ".partial"));
    }

    [Fact]
    public async Task A_run_killed_with_sigkill_leaves_no_lock_that_blocks_the_next_run()
    {
        await using var gate = new GatedProxy(_model.Server.RestPort);
        var input = await InputAsync(100);
        var output = PathOf("out.txt");
        using (var doomed = Start(Args(gate.Port, input, output, "killed", resume: false)))
        {
            var stdout = doomed.StandardOutput.ReadToEndAsync();
            var stderr = doomed.StandardError.ReadToEndAsync();
            await gate.FirstConnection.WaitAsync(Patience);
            Assert.Equal(doomed.Id, JsonNode.Parse(await File.ReadAllBytesAsync(output + ".lock.json"))!["pid"]!.GetValue<int>());

            Assert.Equal(0, Kill(doomed.Id, 9));
            await doomed.WaitForExitAsync().WaitAsync(Patience);
            await Task.WhenAll(stdout, stderr);
        }

        // What the killed run left: the lock file, its details, its side file. Only the lock counted, and it went with the process.
        Assert.True(File.Exists(output + ".lock"));
        Assert.True(File.Exists(output + ".lock.json"));
        gate.Open();
        var rerun = await RunAsync(Args(gate.Port, input, output, "killed", resume: true));

        Assert.True(rerun.Code == 0, rerun.Stderr);
        Assert.DoesNotContain("being written by another run", rerun.Stderr, StringComparison.Ordinal);
        Assert.Equal(await ReferenceAsync(input, "killed"), (await File.ReadAllLinesAsync(output)).Select(WithoutInstanceId));
    }
}
