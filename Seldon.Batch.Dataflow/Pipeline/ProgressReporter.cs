using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>Logs a progress line at info every so many instances.</summary>
internal sealed class ProgressReporter
{
    private readonly ILogger _logger;
    private readonly RunStatistics _stats;
    private readonly Stopwatch _clock;
    private readonly int _every;
    private long _written;

    public ProgressReporter(ILogger logger, RunStatistics stats, Stopwatch clock, int every)
    {
        _logger = logger;
        _stats = stats;
        _clock = clock;
        _every = every;
    }

    /// <summary>Counts one written line; called by the single writer.</summary>
    public void Tick()
    {
        if (_every > 0 && ++_written % _every == 0)
        {
            _logger.LogInformation(
                "Progress: {Written} lines written, {Failed} failed, {Retries} retries, {Rate:0.0} lines/s",
                _written, _stats.Failed, _stats.Retries, _written / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9));
        }
    }
}
