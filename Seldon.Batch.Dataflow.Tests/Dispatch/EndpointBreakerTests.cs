using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Dispatch;

/// <summary>The outage budget, the <c>--wait-ready</c> window and the circuit's breaks count on the breaker's clock:
/// a fake one moves only when told, so minutes of outage take no time here.</summary>
public sealed class EndpointBreakerTests
{
    private static readonly PredictionResponse Answer = PredictionResponse.Success("{}", 200);
    private static readonly PredictionResponse Refused = PredictionResponse.Unanswered(PredictionFailureKind.Outage, 0, "connection refused");

    private static EndpointBreaker BreakerOn(FakeTimeProvider clock, TimeSpan? waitReady = null) =>
        new(new RetrySettings { Workers = 2, MaxOutage = TimeSpan.FromMinutes(5), WaitReady = waitReady ?? TimeSpan.Zero }, NullLogger.Instance, clock);

    [Fact]
    public void A_model_that_never_answered_spends_the_budget_after_the_first_seconds()
    {
        var clock = new FakeTimeProvider();
        var breaker = BreakerOn(clock);
        var since = breaker.Now;

        clock.Advance(EndpointBreaker.UnreachableAfter);
        Assert.Null(breaker.OutageBudgetSpent(since));
        clock.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("nothing answered in the first 5 s (is EndpointSettings.Host right?)", breaker.OutageBudgetSpent(since));
    }

    [Fact]
    public void After_the_model_answered_a_request_waits_out_max_outage_from_its_first_failure()
    {
        var clock = new FakeTimeProvider();
        var breaker = BreakerOn(clock);
        breaker.Observe(Answer);
        clock.Advance(TimeSpan.FromMinutes(1));
        var since = breaker.Now;

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(breaker.OutageBudgetSpent(since));
        clock.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("no answer for 301 s, more than PredictionBlockOptions.MaxOutage 300 s", breaker.OutageBudgetSpent(since));
    }

    [Fact]
    public void Wait_ready_treats_a_misconfiguration_as_an_outage_until_its_window_is_over()
    {
        var clock = new FakeTimeProvider();
        var breaker = BreakerOn(clock, waitReady: TimeSpan.FromMinutes(2));
        var notRouted = new PredictionFailure(PredictionFailureKind.Misconfiguration, 404, "HTTP 404 Not Found");

        clock.Advance(TimeSpan.FromMinutes(2) - TimeSpan.FromMilliseconds(1));
        Assert.True(breaker.CountsAsOutage(notRouted));
        Assert.Null(breaker.OutageBudgetSpent(breaker.Now));
        clock.Advance(TimeSpan.FromMilliseconds(2));

        Assert.False(breaker.CountsAsOutage(notRouted));
    }

    [Fact]
    public async Task An_open_circuit_holds_requests_until_its_break_is_over_on_the_clock_then_a_probe_closes_it()
    {
        var clock = new FakeTimeProvider();
        var breaker = BreakerOn(clock);
        for (var i = 0; i < 2; i++)
        {
            breaker.Observe(await breaker.ExecuteAsync(static (response, _) => ValueTask.FromResult(response), Refused, CancellationToken.None));
        }

        await Assert.ThrowsAsync<BrokenCircuitException>(() => breaker.ExecuteAsync(static (response, _) => ValueTask.FromResult(response), Answer, CancellationToken.None).AsTask());
        var held = breaker.WaitWhileOpenAsync(TimeSpan.FromMinutes(1), CancellationToken.None).AsTask();
        Assert.False(held.IsCompleted, "a request went on while the circuit was open");

        // The first break is half a second: then one request may probe, and its answer closes the circuit.
        clock.Advance(TimeSpan.FromMilliseconds(500));
        Assert.Same(Answer, await breaker.ExecuteAsync(static (response, _) => ValueTask.FromResult(response), Answer, CancellationToken.None));
        await held.WaitAsync(TimeSpan.FromSeconds(30));
    }
}
