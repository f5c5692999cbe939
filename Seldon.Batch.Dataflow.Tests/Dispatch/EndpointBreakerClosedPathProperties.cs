using FsCheck;
using FsCheck.Fluent;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Dispatch;

/// <summary>While the circuit is closed and healthy the breaker sends without Polly and tells Polly its successes only
/// when an outage comes: held here to a breaker that sends every request through Polly, on the same script of answers,
/// outages and clock moves. Polly opens on the share of failures in its sampling window (half a second, in windows of
/// 50 ms), so successes it was told late, or all at once, would open the circuit at another failure than before.</summary>
public sealed class EndpointBreakerClosedPathProperties
{
    private static readonly PredictionResponse Answer = PredictionResponse.Success("{}", 200);
    private static readonly PredictionResponse Refused = PredictionResponse.Unanswered(PredictionFailureKind.Outage, 0, "connection refused");
    private static readonly PredictionResponse Busy = PredictionResponse.Failed(PredictionFailureKind.Transient, 429, "HTTP 429");

    /// <summary>A step: 0 an answer, 1 an outage, 2 a transient failure (a success to the breaker), 3 a thrown
    /// cancellation (one too), 4 and above the clock moved by that many milliseconds.</summary>
    private static readonly Gen<int> Step = Gen.Frequency(
        (30, Gen.Constant(0)),
        (12, Gen.Constant(1)),
        (3, Gen.Constant(2)),
        (1, Gen.Constant(3)),
        (6, Gen.Elements(4, 7, 20, 49, 50, 51, 120, 260, 499, 500, 501, 800, 1500)));

    [Fact]
    public async Task A_failure_streak_after_many_successes_opens_the_circuit_at_the_same_failure_as_through_polly_alone()
    {
        // 300 answers, of which the first 100 leave the sampling window before the outage: the circuit opens on the
        // 200th failure in a row (half of what the window holds), not on the 4th (the failures alone) or the 300th (every
        // answer counted in the window of the outage).
        foreach (var skips in new[] { true, false })
        {
            var clock = new FakeTimeProvider();
            var breaker = BreakerOn(clock, skips);
            for (var i = 0; i < 300; i++)
            {
                await SendAsync(breaker, Answer);
                if (i is 99 or 199)
                {
                    clock.Advance(TimeSpan.FromMilliseconds(300));
                }
            }

            clock.Advance(TimeSpan.FromMilliseconds(1));
            var failures = 0;
            while (await SendAsync(breaker, Refused) != "broken")
            {
                failures++;
            }

            Assert.True(failures == 200, $"skipping Polly: {skips}; the circuit opened after {failures} failures");
            Assert.Equal(2, breaker.ReadState());
        }
    }

    [FsCheck.Xunit.Property(MaxTest = 3000)]
    public Property Every_script_of_answers_outages_and_clock_moves_sees_the_circuit_as_polly_alone_does() =>
        Prop.ForAll(Gen.Choose(20, 400).SelectMany(n => Gen.ArrayOf(Step, n)).ToArbitrary(), script =>
        {
            var expected = Run(script, skips: false);
            var actual = Run(script, skips: true);
            Assert.Equal(expected, actual);
        });

    [Theory]
    // Found by the property below: the circuit closes at 1,500 ms, an answer at 1,500 starts Polly's window, the five at
    // 1,520 fall in it (it is 50 ms long), and at 2,019 that window has left the 500-ms sample: the outage meets an empty
    // sample and the circuit opens on the fourth failure. Told at their own 1,520 ms, the five would start a window of
    // their own that is still in the sample, and the circuit would stay closed.
    [InlineData(new[] { 0, 0, 1, 1, 1500, 0, 0, 20, 0, 0, 3, 0, 0, 499, 1, 1, 1, 1 }, 4)]
    // The same but for the probe alone at 1,500: Polly counts it, then resets its counts as the circuit closes, so the
    // five at 1,520 start a window of their own, still in the sample at 2,019: the circuit opens on the fifth failure.
    [InlineData(new[] { 0, 0, 1, 1, 1500, 0, 20, 0, 0, 3, 0, 0, 499, 1, 1, 1, 1, 1 }, 5)]
    public void Successes_skipped_after_the_circuit_closed_count_in_the_windows_polly_would_have_started(int[] script, int opensAt)
    {
        var expected = Run(script, skips: false);
        // The script ends in opensAt failures: the last opens the circuit, the ones before do not.
        Assert.Equal([.. Enumerable.Repeat("Outage/0", opensAt - 1), "Outage/2"], expected[^opensAt..]);
        Assert.Equal(expected, Run(script, skips: true));
    }

    private static List<string> Run(int[] script, bool skips)
    {
        var clock = new FakeTimeProvider();
        var breaker = BreakerOn(clock, skips);
        var seen = new List<string>();
        foreach (var step in script)
        {
            if (step >= 4)
            {
                clock.Advance(TimeSpan.FromMilliseconds(step));
                continue;
            }

            var outcome = SendAsync(breaker, step switch { 0 => Answer, 1 => Refused, 2 => Busy, _ => null }).AsTask().GetAwaiter().GetResult();
            seen.Add($"{outcome}/{breaker.ReadState()}");
        }

        return seen;
    }

    private static EndpointBreaker BreakerOn(FakeTimeProvider clock, bool skips) =>
        new(new RetrySettings { Workers = 4, MaxOutage = TimeSpan.FromMinutes(5) }, NullLogger.Instance, clock) { SkipsPollyWhileClosed = skips };

    /// <summary>Sends through the breaker; null throws a cancellation from the send.</summary>
    private static async ValueTask<string> SendAsync(EndpointBreaker breaker, PredictionResponse? response)
    {
        try
        {
            var answer = await breaker.ExecuteAsync(
                static (r, _) => r is null ? throw new OperationCanceledException() : ValueTask.FromResult(r), response, CancellationToken.None);
            return answer.Failure is null ? "answer" : answer.Failure.Kind.ToString();
        }
        catch (BrokenCircuitException)
        {
            return "broken";
        }
        catch (OperationCanceledException)
        {
            return "cancelled";
        }
    }
}
