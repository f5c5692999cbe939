using System.Threading.Tasks.Dataflow;
using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>The file run's last stage, one group at a time in input order: ends the output before the first group not
/// answered (an <see cref="AnsweredPrefix"/>), writes each result from the first line not yet written on to the side
/// file, logs the first error records and tells the stop policy of each, which may stop the run (<c>MaxFailures</c>).</summary>
internal sealed class WriteStage
{
    /// <summary>Error records logged one by one; the rest are only counted (the summary tells them by kind).</summary>
    private const int FailuresLogged = 10;

    private readonly SideFileWriter _output;
    private readonly AnsweredPrefix _prefix;
    private readonly StopPolicy _stop;
    private readonly RunStatistics _stats;
    private readonly ILogger _logger;
    private readonly ReadWindow? _window;
    private Func<InstanceResult, string?>? _inspectFirstPrediction;
    private int _failuresLogged;

    private WriteStage(SideFileWriter output, AnsweredPrefix prefix, StopPolicy stop, RunStatistics stats, ILogger logger, Func<InstanceResult, string?>? inspectFirstPrediction, ReadWindow? window)
    {
        _window = window;
        _output = output;
        _prefix = prefix;
        _stop = stop;
        _stats = stats;
        _logger = logger;
        _inspectFirstPrediction = inspectFirstPrediction;
    }

    /// <summary>The stage, writing to <paramref name="output"/> the results of lines from <paramref name="firstUnwritten"/>
    /// on (a resumed run sends the micro-batch of its first line whole). <paramref name="inspectFirstPrediction"/>, when
    /// given, sees the first prediction written and may return why the run must stop (a table output's column clash);
    /// <paramref name="window"/>, when given, is told the lines of each group taken, so the reader may go on.
    /// <paramref name="written"/>, when given, is handed each group's results once they are written (a table written as
    /// the run goes, <see cref="LiveTable"/>), and the stage waits for what it returns.</summary>
    public static ITargetBlock<PredictedGroup> Create(
        SideFileWriter output, long firstUnwritten, StopPolicy stop, RunStatistics stats, ILogger logger, Func<InstanceResult, string?>? inspectFirstPrediction = null,
        ReadWindow? window = null, Func<InstanceResult[], ValueTask>? written = null)
    {
        // The writer sees the groups in input order, so it is where the output ends before the first one not answered.
        var stage = new WriteStage(output, new AnsweredPrefix(stats, firstUnwritten), stop, stats, logger, inspectFirstPrediction, window);
        // The results of a request at a time, in input order, written (to the side file's buffer: its flush runs on a
        // timer) on the thread that delivers them, the predict stage's, not on a task of the writer's own. Its queue, for
        // groups delivered while the live table's write is awaited, is bounded by the read window: the lines of a group
        // stay out until it is written.
        return written is null
            ? new InlineActionBlock<PredictedGroup>(group =>
            {
                stage.Write(group);
                return ValueTask.CompletedTask;
            })
            : new InlineActionBlock<PredictedGroup>(group => written(stage.Write(group)));
    }

    /// <summary>Writes the group's results that belong to the output, and returns them.</summary>
    private InstanceResult[] Write(PredictedGroup group)
    {
        var results = _prefix.Take(group);
        _output.WriteLines(results);
        _window?.Written(group.Lines);
        foreach (var result in results)
        {
            if (result.Succeeded)
            {
                if (_inspectFirstPrediction is { } inspect)
                {
                    _inspectFirstPrediction = null;
                    if (inspect(result) is { } reason)
                    {
                        _stop.Stop(reason);
                    }
                }

                continue;
            }

            if (_failuresLogged++ < FailuresLogged)
            {
                _logger.LogWarning("Line {Index} failed: {Reason}", result.Index, result.Failure!.Reason);
            }

            _stop.LineWritten(result, _stats.Failed, _stats.Instances);
        }

        return results;
    }
}
