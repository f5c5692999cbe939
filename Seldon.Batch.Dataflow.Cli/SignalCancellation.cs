using System.Runtime.InteropServices;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>Turns SIGINT and SIGTERM into a cancellation, remembering which signal came first.</summary>
internal sealed class SignalCancellation : IDisposable
{
    private readonly CancellationTokenSource _cts = new();
    private readonly PosixSignalRegistration[] _registrations;

    public SignalCancellation()
    {
        _registrations =
        [
            PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal),
            PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal),
        ];
    }

    public CancellationToken Token => _cts.Token;

    public PosixSignal? Signal { get; private set; }

    private void OnSignal(PosixSignalContext context)
    {
        // Keep the process alive: the run stops on its own and exits with the signal's code.
        context.Cancel = true;
        Signal ??= context.Signal;
        _cts.Cancel();
    }

    public void Dispose()
    {
        foreach (var registration in _registrations)
        {
            registration.Dispose();
        }

        _cts.Dispose();
    }
}
