using System.Diagnostics;
using System.Runtime.InteropServices;
using Seldon.Batch.Dataflow.Server;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Cli;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The real executable, started as a process the way users and `make run` start it.</summary>
public sealed class ExecutableTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private readonly DemoServerFixture _fixture;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-exe-");

    public ExecutableTests(DemoServerFixture fixture) => _fixture = fixture;

    public void Dispose() => _dir.Delete(recursive: true);

    [DllImport("libc", SetLastError = true)]
    internal static extern int kill(int pid, int signal);

    internal static Process Start(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        var dll = typeof(CliApplication).Assembly.Location;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SELDON_BATCH_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start)!;
    }

    internal static async Task<(int Code, string Stdout, string Stderr)> RunAsync(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        using var process = Start(args, environment);
        return await WaitAsync(process);
    }

    internal static async Task<(int Code, string Stdout, string Stderr)> WaitAsync(Process process)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        return (process.ExitCode, await stdout, await stderr);
    }

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
    public async Task Sigterm_exits_143_with_a_prefix_and_resume_completes_the_output()
    {
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 20, GrpcPort = -1 });
        var input = Path.Combine(_dir.FullName, "in.txt");
        var output = Path.Combine(_dir.FullName, "out.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 600).Select(i => $"[[{i}]]"));
        string[] args = ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{slow.RestPort}", "-w", "4", "-u", "sig", "-i", input, "-o", output, "--shutdown-timeout", "5"];

        using (var process = Start(args))
        {
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (slow.Statistics.Requests < 40 && DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(20);
            }

            Assert.Equal(0, kill(process.Id, 15));
            var (code, _, stderr) = await WaitAsync(process);
            Assert.True(code == 143, $"exit code {code}: {stderr}");
            Assert.Contains("--resume", stderr);
        }

        Assert.False(File.Exists(output));
        var prefix = await File.ReadAllLinesAsync(output + ".partial");
        Assert.InRange(prefix.Length, 1, 599);

        var (resumeCode, _, resumeErr) = await RunAsync([.. args, "--resume"]);

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

    [Fact]
    public async Task A_wrong_host_fails_within_seconds_with_exit_code_3_naming_it()
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 100).Select(i => $"[[{i}]]"));
        var clock = Stopwatch.StartNew();

        var (code, _, stderr) = await RunAsync(["-d", "demo", "-h", "no-such-host.invalid:8080", "-i", input, "-o", Path.Combine(_dir.FullName, "out.txt")]);

        Assert.Equal(3, code);
        Assert.Contains("no-such-host.invalid:8080 is unreachable", stderr);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
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
}
