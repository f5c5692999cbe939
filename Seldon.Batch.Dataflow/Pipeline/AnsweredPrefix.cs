using Seldon.Batch.Dataflow.Protocol;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>Keeps the output a valid prefix: told the groups in input order, it passes their results on until the first
/// group that was not answered (its answered part still comes out), and nothing after it; it counts what it passes on.
/// Not thread-safe: one ordered stage calls it.</summary>
internal sealed class AnsweredPrefix(RunStatistics stats)
{
    private bool _answered = true;

    /// <summary>The results of <paramref name="group"/> that belong to the output, counted; empty past the first group
    /// not answered.</summary>
    public InstanceResult[] Take(PredictedGroup group)
    {
        if (!_answered)
        {
            return [];
        }

        _answered = group.Answered;
        foreach (var result in group.Results)
        {
            stats.AddResult(result);
        }

        return group.Results;
    }
}
