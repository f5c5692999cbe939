using NLog;
using NLog.Targets;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>The stderr log target while a progress bar is drawn: each log line goes through the bar, which clears its
/// own line first and draws itself again below the log line.</summary>
internal sealed class ProgressBarLogTarget : TargetWithLayout
{
    private readonly TerminalProgressBar _bar;

    public ProgressBarLogTarget(TerminalProgressBar bar)
    {
        _bar = bar;
        Name = "stderr";
    }

    protected override void Write(LogEventInfo logEvent) => _bar.WriteLine(RenderLogEvent(Layout, logEvent));
}
