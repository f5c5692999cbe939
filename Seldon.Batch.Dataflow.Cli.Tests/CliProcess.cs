using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>Starts the executable under test (<see cref="CliExecutable"/>: the current native binary, or
/// <c>dotnet seldon-batch-processor.dll</c> as `make run` starts it), with no <c>SELDON_BATCH_*</c> variable inherited
/// from the machine running the tests, and SIGINT handled as from a terminal.</summary>
internal static class CliProcess
{
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    internal static extern int Kill(int pid, int signal);

    internal static Process Start(IEnumerable<string> args, IDictionary<string, string>? environment = null)
    {
        // A test host started in the background (a shell's `&` without job control, nohup, some CI runners) is given
        // SIGINT ignored, and passes that on: the runtime keeps a signal ignored that it was started with, so the
        // executable would never see the tests' Ctrl-C. GNU env puts it back to its default, as a terminal has it, and
        // then execs the executable in its place (the same process id).
        var start = new ProcessStartInfo("env") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("--default-signal=INT");
        foreach (var part in CliExecutable.Command)
        {
            start.ArgumentList.Add(part);
        }

        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SELDON_BATCH_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        // The JIT program's runtimeconfig starts counting calls towards the optimised tier at once (CallCountingDelayMs
        // 0), which pays off over a run of minutes. A test's run lasts a second or two, mostly start-up, in which that
        // setting compiles hundreds of start-up methods a second time: the runtime's default delay (100 ms, taken from
        // this variable over the runtimeconfig) cuts the CPU of a short run by about a third, with the same behaviour.
        if (!CliExecutable.IsNative)
        {
            start.Environment["DOTNET_TC_CallCountingDelayMs"] = "100";
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
