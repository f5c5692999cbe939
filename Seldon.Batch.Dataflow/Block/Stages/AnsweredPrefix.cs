
namespace Seldon.Batch.Dataflow;

/// <summary>Keeps the output a valid prefix: told the groups in input order, it passes their results on until the first
/// group that was not answered (its answered part still comes out), and nothing after it; it counts what it passes on.
/// Not thread-safe: one ordered stage calls it.</summary>
/// <param name="stats">Counts the results passed on.</param>
/// <param name="firstUnwritten">The first line whose result belongs to the output: a resumed run sends the micro-batch
/// of its first line whole, and the results of the lines before it are already written.</param>
internal sealed class AnsweredPrefix(RunStatistics stats, long firstUnwritten = 0)
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
        var results = group.Results;
        if (results.Length > 0 && results[0].Index < firstUnwritten)
        {
            // Only the first micro-batch of a resumed run: a copy of the few results that are new.
            results = [.. results.Where(r => r.Index >= firstUnwritten)];
        }

        foreach (var result in results)
        {
            stats.AddResult(result);
        }

        return results;
    }
}
