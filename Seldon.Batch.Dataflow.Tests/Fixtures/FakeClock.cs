using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>Runs a file batch on a <see cref="FakeTimeProvider"/>: what the run waits for on its clock (the breaker's
/// breaks, the retries' delays, the outage budget, the progress ticks) passes as the test moves the clock on, instead
/// of on the machine's clock. The transports' own timeouts still count on the machine's clock.</summary>
internal static class FakeClock
{
    /// <summary>How long a test lets a run go on, on the machine's clock, before it fails instead of hanging.</summary>
    private static readonly TimeSpan Patience = TimeSpan.FromMinutes(2);

    /// <summary>Runs <paramref name="options"/> (files already named) on <paramref name="clock"/>, moving the clock on by
    /// <paramref name="step"/> (zero: not at all) every few milliseconds until the run is over.</summary>
    public static async Task<RunSummary> RunAsync(BatchOptions options, FakeTimeProvider clock, TimeSpan step)
    {
        using var client = PredictionClients.CreateInspector(options.Endpoint);
        var run = BatchRun.RunAsync(options with { Block = options.Block with { TimeProvider = clock } }, client, inspector: client);
        await AdvanceUntilDoneAsync(clock, run, step);
        return await run;
    }

    /// <summary>Moves <paramref name="clock"/> on by <paramref name="step"/> every few milliseconds until
    /// <paramref name="work"/> is over.</summary>
    public static async Task AdvanceUntilDoneAsync(FakeTimeProvider clock, Task work, TimeSpan step)
    {
        var patience = Task.Delay(Patience);
        while (!work.IsCompleted)
        {
            Assert.False(patience.IsCompleted, $"still running after {Patience} ({clock.GetUtcNow() - clock.Start} on its own clock)");
            if (step > TimeSpan.Zero)
            {
                clock.Advance(step);
            }

            await Task.WhenAny(work, Task.Delay(5));
        }
    }
}
