
namespace Seldon.Batch.Dataflow;

/// <summary>Keeps the output a valid prefix: told the groups in input order, it passes their results on until the first
/// group that was not answered (its answered part still comes out), and nothing after it; it counts what it passes on.
/// Not thread-safe: one ordered stage calls it.</summary>
/// <param name="stats">Counts the results passed on.</param>
/// <param name="firstUnwritten">The first line whose result belongs to the output: a resumed run sends the micro-batch
/// of its first line whole, and the results of the lines before it are already written.</param>
internal sealed class AnsweredPrefix(RunStatistics stats, long firstUnwritten = 0)
{
    /// <summary>The kinds of failure as the <c>failure.kind</c> tag says them, made once.</summary>
    private static readonly string[] KindNames = [.. Enum.GetValues<LineFailureKind>().Select(SettingNames.ValueOf)];

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

        if (RunInstruments.LinesPredicted.Enabled || RunInstruments.LinesFailed.Enabled)
        {
            Record(results);
        }

        return results;
    }

    /// <summary>Records the results passed on in the library's instruments, as the statistics count them.</summary>
    private static void Record(InstanceResult[] results)
    {
        long predicted = 0;
        foreach (var result in results)
        {
            if (result.Failure is { } failure)
            {
                RunInstruments.LinesFailed.Add(1, new KeyValuePair<string, object?>(RunInstruments.FailureKindTag, KindNames[(int)failure.Kind]));
            }
            else
            {
                predicted++;
            }
        }

        if (predicted > 0)
        {
            RunInstruments.LinesPredicted.Add(predicted);
        }
    }
}
