namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>The checkout the tests run from, found upwards from the test assembly, and the native binary
/// <c>make publish</c> built from it. Also compiled into the CLI's tests, which run that binary when it is current.</summary>
internal static class Repository
{
    /// <summary>What the native binary is built from: the three projects' folders (their bin/ and obj/ aside), the
    /// protocol files and the build settings every project reads.</summary>
    private static readonly string[] SourceFolders = ["Seldon.Batch.Dataflow", "Seldon.Batch.Dataflow.Cli", "Seldon.Batch.Dataflow.Server", "protos"];

    private static readonly string[] SourceFiles = ["Directory.Build.props", "Directory.Packages.props", "global.json"];

    public static string Root { get; } = FindRoot();

    /// <summary>Where <c>make publish</c> leaves the native executable.</summary>
    public static string PublishedBinary => Path.Combine(Root, "out", "publish", "seldon-batch-processor");

    /// <summary>Why the native binary cannot stand for the sources of this checkout (there is none, or it is older than
    /// a source file or than a folder whose files were added, removed or renamed since), or null when it can. A binary
    /// from before the last edit would test old code.</summary>
    public static string? WhyNotPublishedBinary { get; } = WhyNot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Seldon.Batch.Dataflow.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Seldon.Batch.Dataflow.sln above {AppContext.BaseDirectory}");
    }

    private static string? WhyNot()
    {
        var binary = new FileInfo(PublishedBinary);
        if (!binary.Exists)
        {
            return $"no {binary.FullName}: run `make publish` first";
        }

        var newest = SourceFolders.SelectMany(folder => Sources(new DirectoryInfo(Path.Combine(Root, folder))))
            .Concat(SourceFiles.Select(file => new FileInfo(Path.Combine(Root, file))).Where(file => file.Exists))
            .MaxBy(entry => entry.LastWriteTimeUtc);
        return newest is not null && newest.LastWriteTimeUtc > binary.LastWriteTimeUtc
            ? $"{binary.FullName} is older than {Path.GetRelativePath(Root, newest.FullName)}: run `make publish` again"
            : null;
    }

    /// <summary>The files and folders under <paramref name="folder"/> (itself included), without the build's bin/ and
    /// obj/. A folder counts by its own time, which changes when an entry of it is added, removed or renamed (a
    /// deleted source leaves no file behind to be newer); the project folders themselves are left out, as a build
    /// creating their bin/ or obj/ changes theirs.</summary>
    private static IEnumerable<FileSystemInfo> Sources(DirectoryInfo folder, bool top = true)
    {
        if (!folder.Exists)
        {
            yield break;
        }

        if (!top)
        {
            yield return folder;
        }

        foreach (var entry in folder.EnumerateFileSystemInfos())
        {
            if (entry is DirectoryInfo sub)
            {
                if (!(top && sub.Name is "bin" or "obj"))
                {
                    foreach (var inner in Sources(sub, top: false))
                    {
                        yield return inner;
                    }
                }
            }
            else
            {
                yield return entry;
            }
        }
    }
}
