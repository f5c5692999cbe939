using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Dispatch;

/// <summary>The stop policy is the one record of a failure about the endpoint: it keeps the first one, stops
/// dispatching, and is what a block's completion, its statistics and a run's stop reason read.</summary>
public sealed class StopPolicyTests
{
    private static readonly PredictionFailure Wrong = new(PredictionFailureKind.Misconfiguration, 404, "HTTP 404 Not Found from http://gateway/x");
    private static readonly PredictionFailure Down = new(PredictionFailureKind.Outage, 503, "HTTP 503 Service Unavailable");

    [Fact]
    public void The_first_failure_about_the_endpoint_is_kept_and_stops_dispatching_once()
    {
        var stops = new List<string>();
        using var stop = new StopPolicy(FailureLimit.None, "gateway:8080", CancellationToken.None, stops.Add);

        stop.EndpointFailed(Wrong);
        stop.EndpointFailed(Down);

        Assert.Same(Wrong, stop.EndpointFailure);
        Assert.True(stop.Dispatch.IsCancellationRequested);
        Assert.Equal(["the model at gateway:8080 cannot be used: HTTP 404 Not Found from http://gateway/x"], stops);
        Assert.Equal(stops[0], stop.Reason);
    }

    [Fact]
    public void A_failure_about_the_endpoint_after_another_stop_is_recorded_without_changing_the_reason()
    {
        using var stop = new StopPolicy(FailureLimit.None, host: null, CancellationToken.None);

        stop.Stop("the output's lease was taken over");
        stop.EndpointFailed(Down);

        Assert.Same(Down, stop.EndpointFailure);
        Assert.Equal("the output's lease was taken over", stop.Reason);
    }

    [Fact]
    public void Statistics_read_the_failure_of_the_policy_they_were_given_to()
    {
        var stats = new RunStatistics();
        using var stop = new StopPolicy(FailureLimit.None, host: null, CancellationToken.None);
        stats.ReadEndpointFailureFrom(stop);

        Assert.Null(stats.EndpointFailure);
        stop.EndpointFailed(Wrong);

        Assert.Same(Wrong, stats.EndpointFailure);
    }
}
