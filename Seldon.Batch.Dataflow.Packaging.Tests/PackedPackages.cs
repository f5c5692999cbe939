namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>
/// The library package and the tool package, packed once for a test class from a copy of the sources into a
/// temporary folder.
/// </summary>
/// <remarks>
/// The copy keeps the pack's build away from the bin/ and obj/ folders the other test assemblies run from. The
/// version is new on every run (<c>0.0.0-test.&lt;ticks&gt;</c>), so a package left in the machine's NuGet cache
/// by an earlier run can never stand in for the one packed here; the cache entry made by this run is removed at the end.
/// </remarks>
public sealed class PackedPackages : IAsyncLifetime
{
    public const string LibraryId = "Seldon.Batch.Dataflow";
    public const string ToolId = "Seldon.Batch.Dataflow.Cli";

    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(8);

    private readonly DirectoryInfo _work = Directory.CreateTempSubdirectory("sbd-packaging-");

    public string Version { get; } = $"0.0.0-test.{DateTime.UtcNow.Ticks}";

    /// <summary>The folder `make pack` fills: both .nupkg files and the library's dependencies, the only package source
    /// the consumer app is given.</summary>
    public string Source => Path.Combine(_work.FullName, "packages");

    /// <summary>A scratch folder of this fixture, removed with it.</summary>
    public string Scratch(string name) => Directory.CreateDirectory(Path.Combine(_work.FullName, name)).FullName;

    public async Task InitializeAsync()
    {
        var sources = Scratch("src");
        CopySources(Repository.Root, sources);
        // What `make pack` runs: both packages, and the library's dependencies next to them.
        await Processes.RunCheckedAsync(
            "env",
            [$"OUT={Source}", $"VERSION={Version}", $"DOTNET={Processes.Dotnet}", "bash", Path.Combine(sources, "deploy", "pack.sh")],
            PackTimeout);
    }

    public Task DisposeAsync()
    {
        _work.Delete(recursive: true);
        var cached = Path.Combine(GlobalPackagesFolder(), LibraryId.ToLowerInvariant(), Version);
        if (Directory.Exists(cached))
        {
            Directory.Delete(cached, recursive: true);
        }

        return Task.CompletedTask;
    }

    /// <summary>What a fresh clone has of the three shipped projects: the top-level build files, protos/ and the
    /// projects' folders, without their bin/ and obj/, and the pack script.</summary>
    private static void CopySources(string root, string target)
    {
        foreach (var file in Directory.EnumerateFiles(root))
        {
            File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }

        foreach (var folder in new[] { "protos", "Seldon.Batch.Dataflow", "Seldon.Batch.Dataflow.Cli", "Seldon.Batch.Dataflow.Server" })
        {
            CopyFolder(Path.Combine(root, folder), Path.Combine(target, folder));
        }

        Directory.CreateDirectory(Path.Combine(target, "deploy"));
        File.Copy(Path.Combine(root, "deploy", "pack.sh"), Path.Combine(target, "deploy", "pack.sh"));
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var folder in Directory.EnumerateDirectories(from).Where(d => Path.GetFileName(d) is not ("bin" or "obj")))
        {
            CopyFolder(folder, Path.Combine(to, Path.GetFileName(folder)));
        }
    }

    private static string GlobalPackagesFolder() =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
