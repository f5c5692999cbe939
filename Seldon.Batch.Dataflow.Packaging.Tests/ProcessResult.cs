namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>How a process ended: its exit code and everything it wrote, for assertions and failure messages.</summary>
internal sealed record ProcessResult(string Command, int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"`{Command}` exited {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}
