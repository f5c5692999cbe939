using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The cut stage of applications: the groups in input order through an <see cref="AnsweredPrefix"/>, which ends
/// the output before the first one not answered (a stop, an outage past <c>MaxOutage</c>, a misconfiguration), so it
/// stays a valid prefix; a group's results go on as one message. The file run cuts in its writer instead.</summary>
internal static class CutStage
{
    public static TransformManyBlock<PredictedGroup, InstanceResult[]> Create(RunStatistics stats, int workers, CancellationToken cancellationToken)
    {
        var prefix = new AnsweredPrefix(stats);
        return new TransformManyBlock<PredictedGroup, InstanceResult[]>(
            group => prefix.Take(group) is { Length: > 0 } answered ? [answered] : [],
            StageOptions.Sequential(workers * 2, cancellationToken));
    }
}
