using Seldon.Batch.Dataflow.Protocol;

namespace Seldon.Batch.Dataflow.Tests.Unit;

public sealed class RequestIdsTests
{
    [Fact]
    public void Ids_are_32_hex_digits_and_never_repeat_across_threads()
    {
        var ids = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                ids.Add(RequestIds.Next());
            }
        });

        Assert.Equal(80_000, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches("^[0-9a-f]{32}$", id));
        Assert.Single(ids.Select(id => id[..16]).Distinct());
    }
}
