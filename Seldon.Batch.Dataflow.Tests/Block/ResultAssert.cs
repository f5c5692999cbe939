using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Block;

/// <summary>What every output of the block must be, whole or cut short.</summary>
internal static class ResultAssert
{
    /// <summary>Asserts <paramref name="results"/> answer input lines 0, 1, 2… in that order, with none missing.</summary>
    public static void OrderedPrefix(IEnumerable<InstanceResult> results)
    {
        var indexes = results.Select(r => r.Index).ToList();
        Assert.Equal(Enumerable.Range(0, indexes.Count).Select(i => (long)i), indexes);
    }
}
