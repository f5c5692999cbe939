using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>Starts the built executable the way users and `make run` do (<c>dotnet seldon-batch-processor.dll</c>),
/// with no <c>SELDON_BATCH_*</c> variable inherited from the machine running the tests.</summary>
internal static class CliProcess
{
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Kill(int pid, int signal);

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
}
