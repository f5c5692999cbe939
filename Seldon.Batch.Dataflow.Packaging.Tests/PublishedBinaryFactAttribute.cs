namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>A test of the native binary from <c>make publish</c>. Skipped, saying why, when there is none or when it
/// is older than the sources it is built from (a binary from before the last edit would test old code). Publishing
/// takes minutes, so <c>make test</c> does not do it; CI publishes before it tests (.ci/run).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PublishedBinaryFactAttribute : FactAttribute
{
    /// <summary>What the binary is built from.</summary>
    private static readonly string[] Sources = ["Seldon.Batch.Dataflow", "Seldon.Batch.Dataflow.Cli", "Seldon.Batch.Dataflow.Server", "protos"];

    private static readonly string? Reason = WhyNot();

    public PublishedBinaryFactAttribute()
    {
        if (Reason is not null)
        {
            Skip = Reason;
        }
    }

    private static string? WhyNot()
    {
        var binary = new FileInfo(Repository.PublishedBinary);
        if (!binary.Exists)
        {
            return $"no {binary.FullName}: run `make publish` first";
        }

        var newest = Sources
            .SelectMany(folder => new DirectoryInfo(Path.Combine(Repository.Root, folder)).EnumerateFiles("*", SearchOption.AllDirectories))
            .Where(file => !file.FullName.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.FullName.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .MaxBy(file => file.LastWriteTimeUtc);
        return newest is not null && newest.LastWriteTimeUtc > binary.LastWriteTimeUtc
            ? $"{binary.FullName} is older than {Path.GetRelativePath(Repository.Root, newest.FullName)}: run `make publish` again"
            : null;
    }
}
