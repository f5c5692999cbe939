using System.Diagnostics;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>Runs the built executable inside a bash pipeline, as a user types it (<c>cat in | seldon-batch-processor -i -
/// -o - | head -1</c>): <c>$CLI</c> in <paramref name="pipeline"/> is the executable under test (<see cref="CliExecutable"/>),
/// and the pipeline's positional parameters are <c>$1</c>… With no <c>SELDON_BATCH_*</c> variable inherited from the
/// machine running the tests.</summary>
internal static class ShellPipeline
{
    /// <summary>Runs <paramref name="pipeline"/> with <paramref name="parameters"/> as <c>$1</c>… in
    /// <paramref name="folder"/> (by default the tests' own); returns bash's exit code (the last command's), its stdout and
    /// its stderr.</summary>
    internal static async Task<(int Code, string Stdout, string Stderr)> RunAsync(
        string pipeline, IEnumerable<string> parameters, IDictionary<string, string>? environment = null, string? folder = null)
    {
        var start = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = folder ?? "",
        };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(pipeline);
        start.ArgumentList.Add("bash");
        foreach (var parameter in parameters)
        {
            start.ArgumentList.Add(parameter);
        }

        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SELDON_BATCH_", StringComparison.Ordinal)).ToList())
        {
            start.Environment.Remove(key);
        }

        // Split on spaces where $CLI is expanded unquoted: neither the binary's path nor the dll's may hold one.
        start.Environment["CLI"] = string.Join(' ', CliExecutable.Command);
        if (!CliExecutable.IsNative)
        {
            // As CliProcess says: a run of a second or two is mostly start-up, which the runtime's default delay compiles once.
            start.Environment["DOTNET_TC_CallCountingDelayMs"] = "100";
        }

        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        return await CliProcess.WaitAsync(process);
    }
}
