namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>The checkout the tests run from, found upwards from the test assembly.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    /// <summary>Where <c>make publish</c> leaves the native executable.</summary>
    public static string PublishedBinary => Path.Combine(Root, "out", "publish", "seldon-batch-processor");

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
}
