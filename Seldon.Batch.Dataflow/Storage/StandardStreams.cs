using Microsoft.Win32.SafeHandles;

namespace Seldon.Batch.Dataflow;

/// <summary>What <c>-</c> reads and writes: the process's standard input and output, or a test's streams.</summary>
/// <param name="OpenInput">Opens the standard input (called once per run at most).</param>
/// <param name="OpenOutput">Opens the standard output (called once per run at most).</param>
internal sealed record StandardStreams(Func<Stream> OpenInput, Func<Stream> OpenOutput)
{
    /// <summary>The process's own.</summary>
    public static StandardStreams Process { get; } = new(System.Console.OpenStandardInput, OpenProcessOutput);

    /// <summary>The standard output as a file stream over its descriptor, not <see cref="System.Console.OpenStandardOutput()"/>:
    /// on Unix the console's stream ignores a closed pipe (EPIPE) and the run would go on answering lines nobody reads;
    /// a file stream fails the write, so a reader that left (<c>| head -1</c>) ends the run.</summary>
    private static Stream OpenProcessOutput() => OperatingSystem.IsWindows()
        ? System.Console.OpenStandardOutput()
        : new FileStream(new SafeFileHandle(1, ownsHandle: false), FileAccess.Write, bufferSize: 0);
}
