using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Seldon.Batch.Dataflow.Server;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Cli;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The real executable, started as a process the way users and `make run` start it.</summary>
[Trait("Category", "Integration")]
[LongRunning(38)]
public sealed class ExecutableTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private readonly DemoServerFixture _fixture;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-exe-");

    public ExecutableTests(DemoServerFixture fixture) => _fixture = fixture;

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task The_original_flags_give_one_tagged_line_per_input_line()
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        var output = Path.Combine(_dir.FullName, "out.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 50).Select(i => $"[[{i}, 1]]"));

        var (code, stdout, stderr) = await RunAsync(
            ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{_fixture.Server.RestPort}", "-w", "4", "-s", "8", "-u", "exe-batch", "-i", input, "-o", output, "-b"]);

        Assert.True(code == 0, stderr);
        Assert.Contains("instances: 50", stdout);
        Assert.Contains("succeeded: 50", stdout);
        // The process's allocations per instance: a positive figure, the one docs/performance.md compares builds by.
        var allocated = System.Text.RegularExpressions.Regex.Match(stdout, @"allocated: [0-9.]+ MiB \(([0-9]+) bytes per instance\), collections gen0/gen1/gen2: [0-9]+ / [0-9]+ / [0-9]+");
        Assert.True(allocated.Success, stdout);
        Assert.True(long.Parse(allocated.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, stdout);
        // Then the thread pool's work items and the contended locks, per instance (what a line's way through the pipeline
        // hands over): the process ran work items, so that figure is positive.
        var handed = System.Text.RegularExpressions.Regex.Match(stdout, @"thread pool: ([0-9]+) work items \([0-9.]+ per instance\), lock contentions: [0-9]+ \([0-9.]+ per instance\)");
        Assert.True(handed.Success, stdout);
        Assert.True(long.Parse(handed.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, stdout);
        var lines = await File.ReadAllLinesAsync(output);
        Assert.Equal(50, lines.Length);
        for (var i = 0; i < 50; i++)
        {
            var tags = JsonNode.Parse(lines[i])!["meta"]!["tags"]!;
            Assert.Equal(i, tags["batch_index"]!.GetValue<long>());
            Assert.Equal("exe-batch", tags["batch_id"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Environment_variables_configure_a_grpc_run()
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        var output = Path.Combine(_dir.FullName, "out.txt");
        await File.WriteAllLinesAsync(input, ["\"hello\"", "\"world\""]);

        var (code, _, stderr) = await RunAsync([], new Dictionary<string, string>
        {
            ["SELDON_BATCH_DEPLOYMENT_NAME"] = "demo",
            ["SELDON_BATCH_GATEWAY_TYPE"] = "seldon",
            ["SELDON_BATCH_HOST"] = $"127.0.0.1:{_fixture.Server.GrpcPort}",
            ["SELDON_BATCH_TRANSPORT"] = "grpc",
            ["SELDON_BATCH_DATA_TYPE"] = "str",
            ["SELDON_BATCH_INPUT_DATA_PATH"] = input,
            ["SELDON_BATCH_OUTPUT_DATA_PATH"] = output,
        });

        Assert.True(code == 0, stderr);
        var lines = await File.ReadAllLinesAsync(output);
        Assert.Equal(["HELLO", "WORLD"], lines.Select(l => JsonNode.Parse(l)!["strData"]!.GetValue<string>()));
    }

    [Theory]
    [InlineData("--workers", "0", "--workers")]
    [InlineData("--gateway-type", "nginx", "--gateway-type")]
    [InlineData("--batch-size", "4", "--batch-size")]
    [InlineData("--max-failures", "lots", "--max-failures")]
    [InlineData("--shutdown-timeout", "-1", "--shutdown-timeout")]
    public async Task Invalid_settings_exit_2_with_one_line_and_write_nothing(string option, string value, string named)
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        var output = Path.Combine(_dir.FullName, "never.txt");
        await File.WriteAllLinesAsync(input, ["{}"]);

        var (code, stdout, stderr) = await RunAsync(["-d", "demo", "-a", "json", "-i", input, "-o", output, option, value]);

        Assert.Equal(2, code);
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains(named, stderr);
        Assert.Equal("", stdout);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public async Task A_wrong_host_fails_within_seconds_with_exit_code_3_naming_it()
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 100).Select(i => $"[[{i}]]"));

        var (code, _, stderr) = await RunAsync(["-d", "demo", "-h", "no-such-host.invalid:8080", "-i", input, "-o", Path.Combine(_dir.FullName, "out.txt")]);

        Assert.Equal(3, code);
        Assert.Contains("no-such-host.invalid:8080 is unreachable", stderr);
        // Given up after the start-up wait of a few seconds, not after --max-outage (minutes) or the retries of every line.
        Assert.Contains("nothing answered in the first 5 s", stderr);
    }

    [Fact]
    public async Task The_failure_policy_exits_3()
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 50).Select(i => i % 2 == 0 ? "nope" : $"[[{i}]]"));

        var (code, _, stderr) = await RunAsync(
            ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{_fixture.Server.RestPort}", "-i", input, "-o", Path.Combine(_dir.FullName, "out.txt"), "--max-failures", "5"]);

        Assert.Equal(3, code);
        Assert.Contains("more than --max-failures 5", stderr);
    }

    [Fact]
    public async Task A_v2_run_writes_v2_lines_and_an_unknown_v2_model_exits_3_naming_it()
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        var output = Path.Combine(_dir.FullName, "out.txt");
        await File.WriteAllLinesAsync(input, ["[[1, 2]]", "[[3, 4]]", "[[5, 6]]"]);
        string[] common = ["-d", "demo", "-g", "seldon", "-t", "grpc", "-h", $"127.0.0.1:{_fixture.Server.GrpcPort}", "-i", input, "-o", output, "-s", "2"];

        var (code, _, stderr) = await RunAsync(common, new Dictionary<string, string> { ["SELDON_BATCH_PROTOCOL"] = "v2", ["SELDON_BATCH_HEADERS"] = "seldon-model: demo" });

        Assert.True(code == 0, stderr);
        var lines = (await File.ReadAllLinesAsync(output)).Select(l => JsonNode.Parse(l)!).ToArray();
        Assert.Equal(3, lines.Length);
        Assert.Equal(2, lines[2]["parameters"]!["batch_index"]!.GetValue<long>());
        Assert.Equal("[10.0,12.0]", lines[2]["outputs"]![0]!["data"]!.ToJsonString()); // FP64: floats, as MLServer writes them

        (code, _, stderr) = await RunAsync([.. common, "--protocol", "v2", "--model-name", "nope"]);

        Assert.Equal(3, code);
        Assert.Contains($"127.0.0.1:{_fixture.Server.GrpcPort} does not know model 'nope'", stderr);
    }

    [Fact]
    public async Task A_misspelt_deployment_behind_a_gateway_that_answers_404_exits_3_with_no_output()
    {
        await using var gateway = await DemoModelServer.StartAsync(new ServeOptions { AnswerStatus = 404 });
        var input = Path.Combine(_dir.FullName, "in.txt");
        var output = Path.Combine(_dir.FullName, "out.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 500).Select(i => $"[[{i}]]"));

        var (code, _, stderr) = await RunAsync(
            ["-d", "misspelt", "-g", "istio", "-h", $"127.0.0.1:{gateway.RestPort}", "-w", "4", "-i", input, "-o", output]);

        Assert.Equal(3, code);
        Assert.Contains("HTTP 404", stderr);
        Assert.Contains("/seldon/default/misspelt/api/v1.0/predictions", stderr);
        Assert.Contains("is the deployment name right? --deployment-name, --namespace and --gateway-type make the path", stderr);
        Assert.False(File.Exists(output));
        // Nothing was written: no empty side file or record is left to be "resumed", and the words say what to change.
        Assert.False(File.Exists(output + ".partial"));
        Assert.False(File.Exists(output + ".partial.json"));
        Assert.DoesNotContain("--resume", stderr);
        Assert.Contains("Nothing was written, so no partial output is left: correct what stopped it", stderr);
        Assert.InRange(gateway.Statistics.Requests, 1, 8);
    }

    /// <summary>What a line says, without the instance id a line sent again gets anew.</summary>
    private static string Answer(string line)
    {
        var json = JsonNode.Parse(line)!;
        return $"{json["meta"]!["tags"]!["batch_index"]} {json["data"]?.ToJsonString()} {json["status"]?.ToJsonString()}";
    }

    private static string[] Args(int port, string input, string output, params string[] more) =>
        ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{port}", "-w", "2", "-u", "exe", "-i", input, "-o", output, .. more];

    [Fact]
    public async Task Resume_over_the_output_of_another_input_exits_2_and_over_its_own_does_nothing()
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        var output = Path.Combine(_dir.FullName, "out.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 30).Select(i => $"[[{i}]]"));
        Assert.Equal(0, (await RunAsync(Args(_fixture.Server.RestPort, input, output))).Code);

        var (own, _, ownErr) = await RunAsync(Args(_fixture.Server.RestPort, input, output, "--resume"));
        await File.AppendAllLinesAsync(input, ["[[30]]", "[[31]]"]);
        var (other, stdout, otherErr) = await RunAsync(Args(_fixture.Server.RestPort, input, output, "--resume"));

        Assert.True(own == 0, ownErr);
        Assert.Contains("Nothing to resume", ownErr);
        Assert.Equal(2, other);
        Assert.Equal("", stdout);
        Assert.Contains("seldon-batch-processor: error: --resume: ", otherErr);
        Assert.Contains("another input", otherErr);
        Assert.Equal(30, (await File.ReadAllLinesAsync(output)).Length);
    }

    [Fact]
    public async Task Retry_failed_from_the_environment_replaces_the_error_lines_and_says_how_many_it_fixed()
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        var output = Path.Combine(_dir.FullName, "out.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 30).Select(i => $"[[{i}]]"));
        await using (var refusing = await DemoModelServer.StartAsync(new ServeOptions { FailFirst = 3, FailStatus = 400, GrpcPort = -1 }))
        {
            var (first, firstOut, firstErr) = await RunAsync(Args(refusing.RestPort, input, output, "-b"));
            Assert.True(first == 0, firstErr);
            Assert.Contains("failed: 3", firstOut);
        }

        var (code, stdout, stderr) = await RunAsync(Args(_fixture.Server.RestPort, input, output, "-b"), new Dictionary<string, string> { ["SELDON_BATCH_RETRY_FAILED"] = "true" });

        Assert.True(code == 0, stderr);
        Assert.Contains("retried lines: 3", stdout);
        Assert.Contains("fixed lines: 3", stdout);
        Assert.Contains("failed: 0", stdout);
        var lines = await File.ReadAllLinesAsync(output);
        Assert.Equal(Enumerable.Range(0, 30).Select(i => $"{i} {{\"names\":[\"t:0\"],\"ndarray\":[[{2 * i}]]}} "), lines.Select(Answer));
    }

    /// <summary>Runs stopped by SIGTERM or SIGINT. A class of its own, as <see cref="Killed"/>: xunit runs the tests of one
    /// class one after another, and these take ten seconds each.</summary>
    [Trait("Category", "Integration")]
    [LongRunning(28)]
    public sealed class Signalled(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>, IDisposable
    {
        private readonly DemoServerFixture _fixture = fixture;
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-exe-");

        public void Dispose() => _dir.Delete(recursive: true);

        [Fact]
        public async Task Sigterm_exits_143_with_a_prefix_and_resume_completes_the_output()
        {
            await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 20, GrpcPort = -1 });
            var input = Path.Combine(_dir.FullName, "in.txt");
            var output = Path.Combine(_dir.FullName, "out.txt");
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, 600).Select(i => $"[[{i}]]"));
            string[] Command(int port) => ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{port}", "-w", "4", "-u", "sig", "-i", input, "-o", output, "--shutdown-timeout", "5"];

            using (var process = Start(Command(slow.RestPort)))
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while (slow.Statistics.Requests < 40 && DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(20);
                }

                Assert.Equal(0, Kill(process.Id, 15));
                var (code, _, stderr) = await WaitAsync(process);
                Assert.True(code == 143, $"exit code {code}: {stderr}");
                Assert.Contains("run again with the same settings to continue", stderr);
            }

            Assert.False(File.Exists(output));
            var prefix = await File.ReadAllLinesAsync(output + ".partial");
            Assert.InRange(prefix.Length, 1, 599);

            // Resumed against the same model without the delay (the host is not a setting a partial output records).
            var (resumeCode, _, resumeErr) = await RunAsync([.. Command(_fixture.Server.RestPort), "--resume"]);

            Assert.True(resumeCode == 0, resumeErr);
            var lines = await File.ReadAllLinesAsync(output);
            Assert.Equal(600, lines.Length);
            Assert.Equal(prefix, lines.Take(prefix.Length));
            for (var i = 0; i < 600; i++)
            {
                var json = JsonNode.Parse(lines[i])!;
                Assert.Equal(i, json["meta"]!["tags"]!["batch_index"]!.GetValue<long>());
                Assert.Equal($"[[{2 * i}]]", json["data"]!["ndarray"]!.ToJsonString());
            }
        }

        [Theory]
        [InlineData(2, 130)] // SIGINT: Ctrl-C twice
        [InlineData(15, 143)] // SIGTERM twice
        public async Task A_second_signal_ends_at_once_leaving_a_prefix_that_resume_completes(int signal, int exitCode)
        {
            // Ten lines that fail without a request, then lines the model answers only after ten minutes.
            var input = Path.Combine(_dir.FullName, "in.txt");
            var output = Path.Combine(_dir.FullName, "out.txt");
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, 40).Select(i => i < 10 ? "not json" : $"[[{i}]]"));
            var (referenceCode, _, referenceErr) = await RunAsync(Args(_fixture.Server.RestPort, input, Path.Combine(_dir.FullName, "reference.txt")));
            Assert.True(referenceCode == 0, referenceErr);
            await using var stalled = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 600_000, GrpcPort = -1 });

            using var process = Start(Args(stalled.RestPort, input, output, "--shutdown-timeout", "600"));
            var stderr = new StringBuilder();
            var stopping = new TaskCompletionSource();
            process.ErrorDataReceived += (_, e) =>
            {
                lock (stderr)
                {
                    stderr.AppendLine(e.Data);
                }

                if (e.Data?.Contains("Stopping: no more lines are read", StringComparison.Ordinal) == true)
                {
                    stopping.TrySetResult();
                }
            };
            process.BeginErrorReadLine();
            // Signalled once both workers wait on the model and the ten error records are in the side file (they are written
            // and flushed before any answer): on a loaded machine that can take a while, and signalling earlier would test
            // another thing.
            var side = output + ".partial";
            var patience = Stopwatch.StartNew();
            while (stalled.Statistics.Requests < 2 || !File.Exists(side) || (await File.ReadAllLinesAsync(side)).Length < 10)
            {
                Assert.False(process.HasExited, "the run ended before it was signalled");
                Assert.True(patience.Elapsed < TimeSpan.FromMinutes(2), "the run never had both workers waiting on the model and ten error records written");
                await Task.Delay(20);
            }

            Assert.Equal(0, CliProcess.Kill(process.Id, signal));
            await stopping.Task.WaitAsync(TimeSpan.FromMinutes(2));
            Assert.Equal(0, CliProcess.Kill(process.Id, signal));
            // The requests in flight would take ten minutes, and the graceful stop would give them ten more: only the
            // second signal explains an end within two.
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));

            string log;
            lock (stderr)
            {
                log = stderr.ToString();
            }

            Assert.True(process.ExitCode == exitCode, $"exit code {process.ExitCode}: {log}");
            Assert.Contains("Stopping at once", log);
            Assert.False(File.Exists(output));
            Assert.Equal(10, (await File.ReadAllLinesAsync(side)).Length);

            var (code, stdout, resumeErr) = await RunAsync(Args(_fixture.Server.RestPort, input, output, "--resume", "-b"));

            Assert.True(code == 0, resumeErr);
            Assert.Contains("resumed lines: 10", stdout);
            Assert.Contains("failed: 10", stdout);
            Assert.Equal((await File.ReadAllLinesAsync(Path.Combine(_dir.FullName, "reference.txt"))).Select(Answer), (await File.ReadAllLinesAsync(output)).Select(Answer));
        }
    }

    /// <summary>Runs killed with SIGKILL, and the partial outputs they leave. A class of its own, so that these cases of ten
    /// seconds each run beside the others instead of after them.</summary>
    [Trait("Category", "Integration")]
    [LongRunning(33)]
    public sealed class Killed(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>, IDisposable
    {
        private readonly DemoServerFixture _fixture = fixture;
        private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-exe-");

        public void Dispose() => _dir.Delete(recursive: true);

        [Theory]
        [InlineData("rest")]
        [InlineData("grpc")]
        public async Task A_run_killed_with_sigkill_is_continued_by_a_plain_rerun_to_the_lines_of_one_clean_run(string transport)
        {
            // 1200 lines in requests of 3 lines answered in 50 ms by two workers: about ten seconds, time enough to kill it.
            // The reference and the rerun go to the same model without the delay (the host is not a setting a partial output
            // records): the same lines, without the wait.
            await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 50 });
            var input = Path.Combine(_dir.FullName, "in.txt");
            var output = Path.Combine(_dir.FullName, "out.txt");
            var side = output + ".partial";
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, 1200).Select(i => i % 97 == 13 ? "not json" : $"[[{i}, {i % 7}]]"));
            string[] Command(DemoModelServer server, string to) =>
                ["-d", "demo", "-g", "seldon", "-t", transport, "-h", $"127.0.0.1:{(transport == "grpc" ? server.GrpcPort : server.RestPort)}", "-w", "2", "-s", "3", "-u", "killed", "-i", input, "-o", to];
            var (referenceCode, _, referenceErr) = await RunAsync(Command(_fixture.Server, Path.Combine(_dir.FullName, "reference.txt")));
            Assert.True(referenceCode == 0, referenceErr);

            using (var process = Start(Command(slow, output)))
            {
                var deadline = DateTime.UtcNow.AddSeconds(60);
                while ((!File.Exists(side) || (await File.ReadAllLinesAsync(side)).Length < 60) && DateTime.UtcNow < deadline && !process.HasExited)
                {
                    await Task.Delay(20);
                }

                Assert.False(process.HasExited, "the run ended before it could be killed");
                Assert.Equal(0, Kill(process.Id, 9));
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }

            Assert.False(File.Exists(output));
            var written = (await File.ReadAllLinesAsync(side)).Length;
            Assert.InRange(written, 60, 1199);

            var (code, _, stderr) = await RunAsync(Command(_fixture.Server, output));

            Assert.True(code == 0, stderr);
            Assert.Contains($"Continuing the partial output {side} of batch killed: ", stderr);
            Assert.False(File.Exists(side));
            Assert.Equal((await File.ReadAllLinesAsync(Path.Combine(_dir.FullName, "reference.txt"))).Select(Answer), (await File.ReadAllLinesAsync(output)).Select(Answer));
        }

        [Fact]
        public async Task A_partial_output_of_other_settings_or_another_input_exits_2_untouched_and_restart_discards_it()
        {
            var input = Path.Combine(_dir.FullName, "in.txt");
            var output = Path.Combine(_dir.FullName, "out.txt");
            var side = output + ".partial";
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, 30).Select(i => i == 5 ? "nope" : $"[[{i}]]"));
            var (stopped, _, stoppedErr) = await RunAsync(["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{_fixture.Server.RestPort}", "-w", "1", "-u", "exe", "-i", input, "-o", output, "--max-failures", "0"]);
            Assert.True(stopped == 3, stoppedErr);
            var before = await File.ReadAllBytesAsync(side);
            Assert.True((await File.ReadAllLinesAsync(side)).Length >= 6);
            // The refused runs go to a server of their own (the host is not a setting the partial output records), so that
            // a request of the stopped run still arriving at the shared one cannot be taken for theirs.
            await using var untouched = await DemoModelServer.StartAsync(new ServeOptions());

            var (otherSettings, stdout, otherSettingsErr) = await RunAsync(Args(untouched.RestPort, input, output, "-s", "2"));
            // Line 20 [[20]] becomes [[21]]: the same size, the same first and last bytes.
            await File.WriteAllLinesAsync(input, Enumerable.Range(0, 30).Select(i => i == 5 ? "nope" : i == 20 ? "[[21]]" : $"[[{i}]]"));
            var (otherInput, _, otherInputErr) = await RunAsync(Args(untouched.RestPort, input, output));

            Assert.Equal(2, otherSettings);
            Assert.Equal("", stdout);
            Assert.Contains($"seldon-batch-processor: error: {side} holds a partial output made with other settings (--batch-size 1, not 2): delete it or pass --restart to discard it", otherSettingsErr);
            Assert.Equal(2, otherInput);
            Assert.Contains($"seldon-batch-processor: error: {side} holds a partial output of another input (", otherInputErr);
            Assert.Contains(": delete it or pass --restart to discard it", otherInputErr);
            Assert.Equal(before, await File.ReadAllBytesAsync(side));
            Assert.Equal(0, untouched.Statistics.Requests);

            var (restarted, _, restartedErr) = await RunAsync(Args(_fixture.Server.RestPort, input, output), new Dictionary<string, string> { ["SELDON_BATCH_RESTART"] = "true" });

            Assert.True(restarted == 0, restartedErr);
            Assert.Contains($"Discarding {before.Count(b => b == (byte)'\n')} lines of the partial output {side}", restartedErr);
            var lines = await File.ReadAllLinesAsync(output);
            Assert.Equal(30, lines.Length);
            Assert.Equal("20 {\"names\":[\"t:0\"],\"ndarray\":[[42]]} ", Answer(lines[20]));
        }
    }
}
