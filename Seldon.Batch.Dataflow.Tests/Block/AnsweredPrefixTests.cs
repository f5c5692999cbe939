using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Block;

/// <summary>The prefix a file run's writer (and the application block's cut stage) keeps: the results of the groups in
/// input order up to the first group not answered, that group's answered part included, nothing after it.</summary>
public sealed class AnsweredPrefixTests
{
    [Property(MaxTest = 300)]
    public Property The_output_ends_with_the_answered_part_of_the_first_group_not_answered() =>
        Prop.ForAll(
            Gen.ListOf(Gen.Zip(Gen.Choose(0, 3), Gen.Elements(true, true, true, false))).ToArbitrary(),
            (List<(int Results, bool Answered)> shape) =>
            {
                var next = 0L;
                var groups = shape.Select(g => new PredictedGroup(
                    [.. Enumerable.Range(0, g.Results).Select(_ => new InstanceResult(next++, "{}", null))], g.Answered)).ToList();
                var stats = new RunStatistics();
                var prefix = new AnsweredPrefix(stats);

                var taken = groups.SelectMany(prefix.Take).ToList();

                // What a reference reading of the rule keeps: every group up to and including the first not answered.
                var cut = groups.FindIndex(g => !g.Answered);
                var expected = groups.Take(cut < 0 ? groups.Count : cut + 1).SelectMany(g => g.Results).ToList();
                return taken.SequenceEqual(expected) && stats.Instances == expected.Count;
            });

    [Fact]
    public void Nothing_after_a_group_not_answered_comes_out_even_when_later_groups_are_answered()
    {
        var prefix = new AnsweredPrefix(new RunStatistics());
        InstanceResult Line(long i) => new(i, "{}", null);

        Assert.Equal([Line(0)], prefix.Take(new PredictedGroup([Line(0)], Answered: true)));
        Assert.Equal([Line(1)], prefix.Take(new PredictedGroup([Line(1)], Answered: false)));
        Assert.Empty(prefix.Take(new PredictedGroup([Line(2)], Answered: true)));
    }
}
