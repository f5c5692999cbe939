using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The number stage of applications: each line of a group gets its <c>batch_index</c>, a group at a time (one
/// message per micro-batch instead of one per line: at batch size 32, a line crossed one block less). A file run has
/// no such stage: its reader numbers the lines as it reads them.</summary>
internal static class NumberStage
{
    /// <summary>The stage, numbering each group with <paramref name="numbering"/>, one group at a time and in order.</summary>
    public static TransformBlock<TItem[], InputLine[]> Create<TItem>(Func<TItem[], InputLine[]> numbering, CancellationToken cancellationToken) =>
        new(numbering, StageOptions.Sequential(4, cancellationToken));

    /// <summary>Numbers lines one after the other from <paramref name="firstIndex"/>; called in order, one group at a time.</summary>
    public static Func<string[], InputLine[]> From(long firstIndex)
    {
        var next = firstIndex;
        return texts =>
        {
            var lines = new InputLine[texts.Length];
            for (var i = 0; i < texts.Length; i++)
            {
                lines[i] = new InputLine(next++, texts[i]);
            }

            return lines;
        };
    }
}
