using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>The three ways a file run ends early, as the two tokens the run's stages obey: <see cref="Reading"/> stops
/// reading and sending, <see cref="Abort"/> cancels the requests in flight. A graceful stop (the first Ctrl-C, SIGTERM)
/// stops reading at once and aborts after <see cref="BatchOptions.ShutdownTimeout"/> on the run's clock; a stop at
/// once (a second Ctrl-C) aborts too; the <see cref="StopPolicy"/> (endpoint failures, <c>--max-failures</c>) aborts at
/// once, since none of the lines in flight will be kept after the first one it stopped for.</summary>
internal sealed class RunStops : IDisposable
{
    private readonly CancellationToken _graceful;
    private readonly CancellationToken _now;
    private readonly CancellationTokenSource _reading;
    private readonly CancellationTokenSource _abort;
    private readonly CancellationTokenRegistration _onGraceful;
    private readonly CancellationTokenRegistration _onNow;

    /// <param name="options">The run's settings (<see cref="BatchOptions.ShutdownTimeout"/>, and the policy's); their
    /// block's <see cref="PredictionBlockOptions.CancellationToken"/> asks for a stop at once, and the shutdown timeout
    /// runs on its <see cref="PredictionBlockOptions.TimeProvider"/>.</param>
    /// <param name="logger">Told of every stop, once, when it is asked.</param>
    /// <param name="graceful">Asks for a graceful stop.</param>
    public RunStops(BatchOptions options, ILogger logger, CancellationToken graceful)
    {
        var (now, time) = (options.Block.CancellationToken, options.Block.TimeProvider);
        _graceful = graceful;
        _now = now;
        _reading = CancellationTokenSource.CreateLinkedTokenSource(graceful);
        // Created on the run's clock, so that CancelAfter below counts the shutdown timeout on it.
        _abort = new CancellationTokenSource(Timeout.InfiniteTimeSpan, time);
        Policy = new StopPolicy(options.MaxFailures, options.Endpoint.Host, graceful, reason =>
        {
            logger.LogError("Stopping the run: {Reason}", reason);
            StopAtOnce();
        }, options.NameOf);
        _onGraceful = graceful.Register(() =>
        {
            logger.LogWarning("Stopping: no more lines are read; requests in flight have {Seconds} s to finish", options.ShutdownTimeout.TotalSeconds);
            _abort.CancelAfter(options.ShutdownTimeout);
        });
        _onNow = now.Register(() =>
        {
            logger.LogWarning("Stopping at once: requests in flight are abandoned; the lines already answered are written");
            StopAtOnce();
        });
    }

    /// <summary>Decides the stops that come from the run itself, and remembers why.</summary>
    public StopPolicy Policy { get; }

    /// <summary>Cancelled when no more lines may be read or sent.</summary>
    public CancellationToken Reading => _reading.Token;

    /// <summary>Cancelled when the requests in flight are abandoned.</summary>
    public CancellationToken Abort => _abort.Token;

    /// <summary>Whether a stop was asked from outside (gracefully or at once).</summary>
    public bool Interrupted => _graceful.IsCancellationRequested || _now.IsCancellationRequested;

    /// <summary>Stops reading, and lets what was sent drain.</summary>
    public void StopReading() => _reading.Cancel();

    /// <summary>The writer failed (a full disk, a store gone): nothing takes more lines, so reading stops and the requests
    /// in flight are abandoned, whose answers could not be kept.</summary>
    public void WriterFailed() => StopAtOnce();

    public void Dispose()
    {
        // The registrations first: a stop asked while the run is being torn down must not touch disposed sources.
        _onGraceful.Dispose();
        _onNow.Dispose();
        Policy.Dispose();
        _reading.Dispose();
        _abort.Dispose();
    }

    private void StopAtOnce()
    {
        _reading.Cancel();
        _abort.Cancel();
    }
}
