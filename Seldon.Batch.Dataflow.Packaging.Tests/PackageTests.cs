using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>The packages from <c>dotnet pack</c>, used the way a user uses them: the tool installed with
/// <c>dotnet tool install</c>, the library referenced by an application of its own.</summary>
[Trait("Category", "Integration")]
public sealed class PackageTests : IClassFixture<PackedPackages>
{
    private static readonly TimeSpan SdkTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(2);

    private readonly PackedPackages _packages;

    public PackageTests(PackedPackages packages) => _packages = packages;

    [Fact]
    public async Task The_dotnet_tool_installs_and_runs_a_batch_over_rest_and_grpc()
    {
        var tools = _packages.Scratch("tools");
        // An empty packages folder of its own stands in for a fresh machine's NuGet cache: the tool comes from the
        // folder packed here, never from a package of the same version an earlier run left in the machine's cache.
        await Processes.RunCheckedAsync(
            Processes.Dotnet,
            ["tool", "install", "--tool-path", tools, "--add-source", _packages.Source, "--ignore-failed-sources", PackedPackages.ToolId, "--version", _packages.Version],
            SdkTimeout,
            environment: new Dictionary<string, string> { ["NUGET_PACKAGES"] = _packages.Scratch("tool-packages") });
        var tool = Path.Combine(tools, "seldon-batch-processor");

        var version = await Processes.RunCheckedAsync(tool, ["--version"], RunTimeout);
        Assert.StartsWith(_packages.Version, version.Stdout.Trim(), StringComparison.Ordinal);
        var help = await Processes.RunCheckedAsync(tool, ["--help"], RunTimeout);
        Assert.Contains("--deployment-name", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("serve", help.Stdout, StringComparison.Ordinal);

        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        var work = _packages.Scratch("tool-run");
        var input = Path.Combine(work, "in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 20).Select(i => $"[[{i}, 1]]"));
        foreach (var (transport, port) in new[] { ("rest", server.RestPort), ("grpc", server.GrpcPort) })
        {
            var output = Path.Combine(work, $"out-{transport}.txt");
            await Processes.RunCheckedAsync(
                tool,
                ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{port}", "-t", transport, "-w", "2", "-s", "3", "-i", input, "-o", output],
                RunTimeout);

            var lines = await File.ReadAllLinesAsync(output);
            Assert.Equal(20, lines.Length);
            for (var i = 0; i < lines.Length; i++)
            {
                var json = JsonNode.Parse(lines[i])!;
                Assert.Equal(i, json["meta"]!["tags"]!["batch_index"]!.GetValue<long>());
                // gRPC carries doubles only: its answers are written as the REST servers write floats.
                Assert.Equal(transport == "rest" ? $"[[{2 * i},2]]" : $"[[{2 * i}.0,2.0]]", json["data"]!["ndarray"]!.ToJsonString());
            }
        }
    }

    [Fact]
    public async Task A_consumer_app_links_the_block_from_the_package_without_the_cli_or_the_server()
    {
        var app = _packages.Scratch("consumer");
        foreach (var file in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Consumer")))
        {
            File.Copy(file, Path.Combine(app, Path.GetFileName(file)));
        }

        // As the docs say: `dotnet add package Seldon.Batch.Dataflow --source <the folder of make pack>`, with an empty
        // packages folder standing in for a fresh machine's NuGet cache: the packed folder alone must hold the library
        // and everything it depends on (the option replaces every other source).
        var packages = _packages.Scratch("consumer-packages");
        await Processes.RunCheckedAsync(
            Processes.Dotnet,
            ["add", Path.Combine(app, "Consumer.csproj"), "package", PackedPackages.LibraryId, "--version", _packages.Version,
                "--source", _packages.Source, "--package-directory", packages],
            SdkTimeout);
        await Processes.RunCheckedAsync(
            Processes.Dotnet,
            ["build", Path.Combine(app, "Consumer.csproj"), "-c", "Release", "-o", Path.Combine(app, "out"), "-nodeReuse:false",
                "--source", _packages.Source, "--packages", packages],
            SdkTimeout);

        await using var server = await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1 });
        foreach (var mode in new[] { "block", "items", "stream" })
        {
            var run = await Processes.RunCheckedAsync(
                Processes.Dotnet, [Path.Combine(app, "out", "Consumer.dll"), $"127.0.0.1:{server.RestPort}", "30", mode], RunTimeout);

            var results = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(results.Length == 30, $"{mode}: {run}");
            for (var n = 0; n < results.Length; n++)
            {
                var parts = results[n].Split(' ', 3);
                Assert.Equal($"{n}", parts[0]);
                Assert.True(parts[1] == "ok", $"{mode}: {results[n]}");
                Assert.Equal($"[[{2 * n},{2 * n + 2}]]", JsonNode.Parse(parts[2])!["data"]!["ndarray"]!.ToJsonString());
            }
        }

        AssertLean(Path.Combine(app, "out"));
    }

    /// <summary>The app got the library and its own dependencies, and nothing of the CLI or of the built-in server:
    /// no ASP.NET Core (neither as files nor as a shared framework the app would need), NLog or System.CommandLine.</summary>
    private static void AssertLean(string output)
    {
        var files = Directory.EnumerateFiles(output, "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();
        Assert.Contains("Seldon.Batch.Dataflow.dll", files);
        string[] unwanted = ["Microsoft.AspNetCore.", "Grpc.AspNetCore", "NLog", "System.CommandLine", "seldon-batch-processor", "Seldon.Batch.Dataflow.Server"];
        var offending = files.Where(file => unwanted.Any(prefix => file!.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))).ToList();
        Assert.True(offending.Count == 0, $"{output} holds {string.Join(", ", offending)}");

        var runtimeConfig = JsonNode.Parse(File.ReadAllText(Path.Combine(output, "Consumer.runtimeconfig.json")))!;
        var frameworks = runtimeConfig["runtimeOptions"]!["framework"] is { } single
            ? [single["name"]!.GetValue<string>()]
            : runtimeConfig["runtimeOptions"]!["frameworks"]!.AsArray().Select(f => f!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(["Microsoft.NETCore.App"], frameworks);

        var deps = File.ReadAllText(Path.Combine(output, "Consumer.deps.json"));
        Assert.All(unwanted, name => Assert.False(deps.Contains(name, StringComparison.OrdinalIgnoreCase), $"Consumer.deps.json names {name}"));
    }
}
