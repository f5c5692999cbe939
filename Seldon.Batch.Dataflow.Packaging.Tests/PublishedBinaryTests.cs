using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>The Native AOT <c>seldon-batch-processor</c> from <c>make publish</c>, run for real: what could differ
/// from the JIT-compiled program under AOT (System.CommandLine, NLog, RestSharp, Grpc.Net.Client, Polly, Kestrel and
/// gRPC in <c>serve</c>, signals) is exercised through the binary itself.</summary>
[Trait("Category", "Integration")]
public sealed partial class PublishedBinaryTests : IDisposable
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-native-");

    public void Dispose() => _dir.Delete(recursive: true);

    private static string Binary => Repository.PublishedBinary;

    [PublishedBinaryFact]
    public async Task It_is_one_native_file_that_answers_help_and_refuses_bad_settings_with_exit_code_2()
    {
        var magic = new byte[4];
        await using (var file = File.OpenRead(Binary))
        {
            await file.ReadExactlyAsync(magic);
        }

        Assert.Equal("\u007fELF"u8.ToArray(), magic);
        Assert.Equal(["seldon-batch-processor"], Directory.EnumerateFiles(Path.GetDirectoryName(Binary)!).Select(Path.GetFileName));

        var help = await Processes.RunCheckedAsync(Binary, ["--help"], RunTimeout);
        Assert.Contains("--deployment-name", help.Stdout, StringComparison.Ordinal);

        var input = await InputAsync(1, _ => "[[1]]");
        foreach (var (args, named) in new[] { (new[] { "--no-such-flag" }, "--no-such-flag"), (["-d", "demo", "-i", input, "-w", "0"], "--workers") })
        {
            var refused = await Processes.RunAsync(Binary, args, RunTimeout);
            Assert.True(refused.ExitCode == 2, refused.ToString());
            Assert.Contains(named, Assert.Single(refused.Stderr.Trim().Split('\n')), StringComparison.Ordinal);
        }
    }

    [PublishedBinaryFact]
    public async Task The_native_serve_answers_native_batches_over_rest_and_grpc_and_stops_on_sigterm()
    {
        using var serve = Processes.Start(Binary, ["serve", "--port", "0", "--grpc-port", "0"]);
        var banner = await serve.StandardOutput.ReadLineAsync().WaitAsync(RunTimeout);
        var ports = ServeBanner().Match(banner ?? "");
        Assert.True(ports.Success, $"serve said: {banner}");

        var input = await InputAsync(100, i => $"[[{i}, 3]]");
        foreach (var (transport, port, payload) in new[] { ("rest", ports.Groups["rest"].Value, "ndarray"), ("grpc", ports.Groups["grpc"].Value, "tensor") })
        {
            var output = Path.Combine(_dir.FullName, $"out-{transport}.txt");
            await Processes.RunCheckedAsync(
                Binary, ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{port}", "-t", transport, "-p", payload, "-w", "4", "-s", "8", "-i", input, "-o", output], RunTimeout);

            var lines = await File.ReadAllLinesAsync(output);
            Assert.Equal(100, lines.Length);
            for (var i = 0; i < lines.Length; i++)
            {
                var json = JsonNode.Parse(lines[i])!;
                var tags = json["meta"]!["tags"]!;
                Assert.Equal(i, tags["batch_index"]!.GetValue<long>());
                Assert.Matches("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}-item-[0-7]$", tags["batch_instance_id"]!.GetValue<string>());
                var values = payload == "ndarray" ? json["data"]!["ndarray"]![0]! : json["data"]!["tensor"]!["values"]!;
                // A tensor's values are doubles, written as the REST servers write floats.
                Assert.Equal(payload == "ndarray" ? $"[{2 * i},6]" : $"[{2 * i}.0,6.0]", values.ToJsonString());
            }
        }

        Assert.Equal(0, Processes.Kill(serve.Id, 15));
        var stopped = await Processes.WaitAsync(serve, "serve", RunTimeout);
        Assert.True(stopped.ExitCode == 0, stopped.ToString());
    }

    [PublishedBinaryFact]
    public async Task Sigterm_stops_a_native_run_with_143_and_resume_completes_it()
    {
        // Answers slow enough that a run of 600 lines is still going when the signal comes.
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 20, GrpcPort = -1 });
        var output = Path.Combine(_dir.FullName, "out.txt");
        string[] args =
        [
            "-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{slow.RestPort}", "-w", "4", "-u", "native",
            "-i", await InputAsync(600, i => $"[[{i}]]"), "-o", output, "--shutdown-timeout", "5",
        ];

        using (var run = Processes.Start(Binary, args))
        {
            // Stop it once it is well under way: the server has answered some requests and many are still to come.
            var clock = Stopwatch.StartNew();
            while (slow.Statistics.Requests < 40 && clock.Elapsed < RunTimeout && !run.HasExited)
            {
                await Task.Delay(20);
            }

            Assert.Equal(0, Processes.Kill(run.Id, 15));
            var stopped = await Processes.WaitAsync(run, "run", RunTimeout);
            Assert.True(stopped.ExitCode == 143, stopped.ToString());
            Assert.Contains("run again with the same settings to continue", stopped.Stderr, StringComparison.Ordinal);
        }

        Assert.False(File.Exists(output));
        var prefix = await File.ReadAllLinesAsync(output + ".partial");
        Assert.InRange(prefix.Length, 1, 599);

        await Processes.RunCheckedAsync(Binary, [.. args, "--resume"], RunTimeout);

        var lines = await File.ReadAllLinesAsync(output);
        Assert.Equal(600, lines.Length);
        Assert.Equal(prefix, lines.Take(prefix.Length));
        Assert.All(lines.Select((line, i) => (JsonNode.Parse(line)!, i)), pair =>
            Assert.Equal($"[[{2 * pair.i}]]", pair.Item1["data"]!["ndarray"]!.ToJsonString()));
    }

    private async Task<string> InputAsync(int count, Func<int, string> line)
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, count).Select(line));
        return input;
    }

    [GeneratedRegex(@"REST http://127\.0\.0\.1:(?<rest>\d+)/ gRPC http://127\.0\.0\.1:(?<grpc>\d+)")]
    private static partial Regex ServeBanner();
}
