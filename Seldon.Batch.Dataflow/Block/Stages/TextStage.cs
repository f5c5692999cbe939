using System.Threading.Tasks.Dataflow;

namespace Seldon.Batch.Dataflow;

/// <summary>The text stage of applications, their last: one result per message, its line made text once (callers read
/// <see cref="InstanceResult.Line"/>, perhaps more than once; the file run writes the bytes instead). It ignores the
/// block's token, so that it delivers what it holds when the stages before it are cancelled.</summary>
internal static class TextStage
{
    public static TransformManyBlock<InstanceResult[], InstanceResult> Create(int workers) =>
        new(AsText, StageOptions.Parallel(Math.Max(1, Environment.ProcessorCount), workers * 2, CancellationToken.None));

    /// <summary>The split's results (a fresh array) with their lines made text, in place.</summary>
    private static InstanceResult[] AsText(InstanceResult[] results)
    {
        for (var i = 0; i < results.Length; i++)
        {
            results[i] = results[i].AsText();
        }

        return results;
    }
}
