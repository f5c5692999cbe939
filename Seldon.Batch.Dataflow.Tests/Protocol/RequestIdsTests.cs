using System.Collections.Concurrent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol;

public sealed class RequestIdsTests
{
    /// <summary>A dashed lowercase UUID with the version 4 and RFC variant bits, as Python's <c>str(uuid.uuid4())</c> prints.</summary>
    private const string UuidShape = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

    [Fact]
    public void Ids_are_dashed_uuids_and_never_repeat_across_threads()
    {
        var ids = new ConcurrentBag<string>();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                ids.Add(RequestIds.Next());
            }
        });

        Assert.Equal(80_000, ids.Distinct().Count());
        Assert.All(ids, id => Assert.Matches(UuidShape, id));
        Assert.All(ids, id => Assert.True(Guid.TryParseExact(id, "D", out var guid) && guid.Version == 4 && guid.ToString() == id, id));
    }

    [Fact]
    public void The_counter_changes_only_the_last_two_groups()
    {
        var a = RequestIds.Next();
        var b = RequestIds.Next();

        Assert.Equal(a[..19], b[..19]);
        Assert.NotEqual(a[19..], b[19..]);
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(1UL)]
    [InlineData(0xFFFF_FFFF_FFFFUL)] // the carry into the fourth group
    [InlineData((1UL << 62) - 1)] // the largest count before the variant bits would be touched
    public void Edge_counts_keep_the_shape(ulong count)
    {
        var id = RequestIds.Format(count);

        Assert.Equal(RequestIds.Length, id.Length);
        Assert.Matches(UuidShape, id);
    }

    [Fact]
    public void Counts_that_differ_in_any_bit_give_different_ids()
    {
        var ids = Enumerable.Range(0, 62).Select(bit => RequestIds.Format(1UL << bit)).Append(RequestIds.Format(0)).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
    }
}
