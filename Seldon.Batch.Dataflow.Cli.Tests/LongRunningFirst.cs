using System.Reflection;
using Xunit.Abstractions;

[assembly: TestCollectionOrderer("Seldon.Batch.Dataflow.Cli.Tests.LongRunningFirst", "Seldon.Batch.Dataflow.Cli.Tests")]

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>Starts the test classes marked <see cref="LongRunningAttribute"/> first, longest first, the others after them
/// in xunit's own order. xunit starts as many classes as it has threads (xunit.runner.json) and the next one whenever one ends, in an
/// order of its own otherwise: a class of a minute started last would end the run a minute after the rest.</summary>
public sealed class LongRunningFirst : ITestCollectionOrderer
{
    // A class that shares no [Collection] is a collection of its own, named after it.
    private const string PerClass = "Test collection for ";

    public IEnumerable<ITestCollection> OrderTestCollections(IEnumerable<ITestCollection> testCollections) =>
        testCollections.OrderByDescending(Seconds).ThenBy(c => c.UniqueID);

    private static int Seconds(ITestCollection collection) =>
        collection.DisplayName.StartsWith(PerClass, StringComparison.Ordinal)
        && typeof(LongRunningFirst).Assembly.GetType(collection.DisplayName[PerClass.Length..]) is { } type
        && type.GetCustomAttribute<LongRunningAttribute>() is { } longRunning
            ? longRunning.Seconds
            : 0;
}
