using System.Reflection;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>
/// The library package and the tool package, packed once for a test class by `make pack`'s script from the Release
/// build `make test` has just made.
/// </summary>
/// <remarks>
/// The script packs with <c>--no-build</c> (<c>NO_BUILD=1</c>): building the library and the CLI again from a copy of
/// the sources cost the whole suite about 60 s of CPU for binaries the build had made already. The packages carry the
/// build's version; no NuGet cache of the machine takes part (the SDK commands here are given folders of the fixture
/// for their packages), so a package of the same version cached by an earlier run can never stand in for the ones
/// packed here.
/// </remarks>
public sealed class PackedPackages : IAsyncLifetime
{
    public const string LibraryId = "Seldon.Batch.Dataflow";
    public const string ToolId = "Seldon.Batch.Dataflow.Cli";

    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(8);

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("sbd-packaging-");

    /// <summary>The version of the build under test (Directory.Build.props's, as every project of it carries), without
    /// the commit the SDK appends to the informational version.</summary>
    public string Version { get; } = typeof(DemoModelServer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()!
        .InformationalVersion.Split('+')[0];

    /// <summary>The folder `make pack` fills: both .nupkg files and the library's dependencies, the only package source
    /// the consumer app is given.</summary>
    public string Source => Path.Combine(_work.FullName, "packages");

    /// <summary>A scratch folder of this fixture, removed with it.</summary>
    public string Scratch(string name) => Directory.CreateDirectory(Path.Combine(_work.FullName, name)).FullName;

    public async Task InitializeAsync() =>
        // What `make pack` runs: both packages, and the library's dependencies next to them.
        await Processes.RunCheckedAsync(
            "env",
            [$"OUT={Source}", $"VERSION={Version}", "NO_BUILD=1", $"DOTNET={Processes.Dotnet}", "bash", Path.Combine(Repository.Root, "deploy", "pack.sh")],
            PackTimeout);

    public Task DisposeAsync()
    {
        _work.Delete(recursive: true);
        return Task.CompletedTask;
    }
}
