using System.Runtime.InteropServices;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>Turns SIGINT and SIGTERM into cancellations, remembering which signal came first: the first asks for a
/// graceful stop (<see cref="Token"/>), the second for a stop at once (<see cref="StopNowToken"/>); a third is left to
/// the runtime, which ends the process.</summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _graceful = new();
    private readonly CancellationTokenSource _now = new();
    private readonly PosixSignalRegistration[] _registrations;
    private int _count;

    public SignalCancellation()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    /// <summary>Cancelled by the first signal.</summary>
    public CancellationToken Token => _graceful.Token;

    /// <summary>Cancelled by the second signal.</summary>
    public CancellationToken StopNowToken => _now.Token;

    public PosixSignal? Signal { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        switch (Interlocked.Increment(ref _count))
        {
            case 1:
                // Keep the process alive: the run stops on its own and exits with the signal's code.
                context.Cancel = true;
                Signal = context.Signal;
                _graceful.Cancel();
                break;
            case 2:
                context.Cancel = true;
                _now.Cancel();
                break;
            default:
                // Whoever insists a third time gets the runtime's default: the process ends now.
                context.Cancel = false;
                break;
        }
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _graceful.Dispose();
        _now.Dispose();
    }
}
