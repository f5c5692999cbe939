namespace Seldon.Batch.Dataflow.Packaging.Tests;

/// <summary>A test of the native binary from <c>make publish</c>. Skipped, saying why, when there is none or when it
/// is older than the sources it is built from (a binary from before the last edit would test old code). Publishing
/// takes minutes, so <c>make test</c> does not do it; CI publishes before it tests (.ci/run).</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class PublishedBinaryFactAttribute : FactAttribute
{
    public PublishedBinaryFactAttribute()
    {
        if (Repository.WhyNotPublishedBinary is { } reason)
        {
            Skip = reason;
        }
    }
}
