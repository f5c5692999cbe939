using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>Runs the SDK, the installed tool, the consumer app and the native binary as child processes, with an
/// environment that neither the machine (SELDON_BATCH_*) nor the test host's own MSBuild settings leak into.</summary>
internal static class Processes
{
    /// <summary>The dotnet host running these tests; the SDK sets DOTNET_HOST_PATH for the processes it starts.</summary>
    public static string Dotnet { get; } = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host)
        ? host
        : "dotnet";

    /// <summary>The .NET installation of the running runtime (…/shared/Microsoft.NETCore.App/10.0.x/ is three levels
    /// down), which a tool's launcher must be told about wherever the SDK is installed.</summary>
    public static string DotnetRoot { get; } = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static extern int Kill(int pid, int signal);

    public static Process Start(string fileName, IEnumerable<string> args, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SELDON_BATCH_", StringComparison.Ordinal)
                     || k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_ROOT"] = DotnetRoot;
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        return Process.Start(start) ?? throw new InvalidOperationException($"{fileName} did not start");
    }

    /// <summary>Runs a process to its end (killing it after <paramref name="timeout"/>) and returns what it did.</summary>
    public static async Task<ProcessResult> RunAsync(
        string fileName, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var list = args.ToList();
        using var process = Start(fileName, list, workingDirectory, environment);
        return await WaitAsync(process, $"{fileName} {string.Join(' ', list)}", timeout);
    }

    /// <summary>Like <see cref="RunAsync"/>, and fails the test with the whole output unless the exit code is 0.</summary>
    public static async Task<ProcessResult> RunCheckedAsync(
        string fileName, IEnumerable<string> args, TimeSpan timeout, string? workingDirectory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var result = await RunAsync(fileName, args, timeout, workingDirectory, environment);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result;
    }

    public static async Task<ProcessResult> WaitAsync(Process process, string command, TimeSpan timeout)
    {
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            Assert.Fail(new ProcessResult(command, -1, await stdout, await stderr) + $"\n(killed after {timeout})");
        }

        return new ProcessResult(command, process.ExitCode, await stdout, await stderr);
    }
}
