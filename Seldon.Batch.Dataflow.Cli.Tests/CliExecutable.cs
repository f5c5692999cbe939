using Seldon.Batch.Dataflow.Packaging.Tests;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The seldon-batch-processor the tests start: the native binary of <c>make publish</c> when it is newer than
/// every source it is built from (CI publishes before it tests), otherwise the build's
/// <c>dotnet seldon-batch-processor.dll</c>, so that an edit is always tested, never a binary from before it.</summary>
/// <remarks>The native binary starts in about 0.05 s of CPU against about 0.6 s for the JIT-compiled program, and the
/// tests start it over a hundred times: on two cores that start-up was a third of these tests' CPU. What could differ
/// under Native AOT is what the packaging tests check of the binary; the dotnet tool (the JIT program as users install
/// it) is tested there too. <c>SELDON_TESTS_CLI=dotnet</c> runs the JIT program whatever the binary.</remarks>
internal static class CliExecutable
{
    private static readonly string Dll = typeof(CliApplication).Assembly.Location;

    /// <summary>Why the JIT program runs instead of the native binary; null when the native binary runs.</summary>
    public static string? WhyNotNative { get; } =
        Environment.GetEnvironmentVariable("SELDON_TESTS_CLI") == "dotnet" ? "SELDON_TESTS_CLI=dotnet" : Repository.WhyNotPublishedBinary;

    public static bool IsNative => WhyNotNative is null;

    /// <summary>The command, then the arguments that come before the executable's own.</summary>
    public static IReadOnlyList<string> Command { get; } = IsNative ? [Repository.PublishedBinary] : ["dotnet", Dll];

    /// <summary>What ran and why, for the test results.</summary>
    public static string Description => IsNative
        ? $"{Repository.PublishedBinary} (Native AOT, newer than every source of the library, the server and the CLI)"
        : $"dotnet {Dll} ({WhyNotNative})";
}
