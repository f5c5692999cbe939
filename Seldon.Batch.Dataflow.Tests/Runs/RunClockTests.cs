using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>The prediction block of a file run waits on the run's clock: its breaker's breaks, its retries' delays and
/// its outage budget, so a wait of minutes takes no time with a fake clock.</summary>
[Trait("Category", "Integration")]
public sealed class RunClockTests
{
    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_model_that_never_answers_is_waited_for_on_the_runs_clock_until_wait_ready_is_over(string transport)
    {
        var dir = Directory.CreateTempSubdirectory("sbd-clock-");
        var clock = new FakeTimeProvider();
        // Nothing listens on the port: every attempt is refused, an outage the block waits out for --wait-ready.
        using var closed = new ClosedPort();
        var options = BatchHarness.Options(closed.Port, transport).WithBlock(b => b with { WaitReady = TimeSpan.FromMinutes(10) }) with
        {
            InputDataPath = Path.Combine(dir.FullName, "in.txt"),
            OutputDataPath = Path.Combine(dir.FullName, "out.txt"),
        };
        await File.WriteAllLinesAsync(options.InputDataPath, Enumerable.Range(0, 5).Select(i => $"[[{i}, 1]]"));
        using var client = PredictionClients.Create(options.Endpoint);
        try
        {
            var run = BatchRun.RunAsync(options.On(clock), client);

            // Ten minutes of the run's clock, a few seconds at a time, and no further than eleven: the run must stop within
            // them (it probes at least every five seconds of its clock), and a run still waiting then would wait in vain
            // until the deadline ends the test. On the machine's clock the run would wait them all.
            var deadline = Stopwatch.StartNew();
            while (!run.IsCompleted)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(60), $"the run was still waiting after {clock.GetUtcNow() - clock.Start} of its clock");
                if (clock.GetUtcNow() - clock.Start < TimeSpan.FromMinutes(11))
                {
                    clock.Advance(TimeSpan.FromSeconds(5));
                }

                await Task.WhenAny(run, Task.Delay(10));
            }

            var summary = await run;
            Assert.Equal(RunOutcome.Stopped, summary.Outcome);
            Assert.Contains("(WaitReady)", summary.StopReason, StringComparison.Ordinal);
            // Not before its ten minutes were over on the run's clock (and, above, not after eleven).
            Assert.True(clock.GetUtcNow() - clock.Start >= TimeSpan.FromMinutes(10), $"stopped after {clock.GetUtcNow() - clock.Start} of its clock");
            Assert.Equal(0, summary.Succeeded + summary.Failed);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
