using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>Send, the only network I/O of the predict stage: a request through the <see cref="RequestDispatcher"/>
/// (retries, the outage breaker, pacing, at most <c>Workers</c> on the wire), counted in the statistics. A request is
/// not sent once the <see cref="StopPolicy"/> stopped dispatching, and a final failure about the endpoint is told to
/// that policy, the one place that records it and stops the run.</summary>
/// <param name="dispatcher">Sends each request as the failure rules say.</param>
/// <param name="method">The route of every request.</param>
/// <param name="stop">Says when nothing more may be sent; told the failures about the endpoint.</param>
/// <param name="stats">Counts the requests and their retries.</param>
/// <param name="meter">Records them in the library's instruments.</param>
/// <param name="logger">Where a failed request is logged (at debug level: its lines' error records say why).</param>
/// <param name="abort">Cancels the requests on the wire.</param>
internal sealed class SendStage(RequestDispatcher dispatcher, PredictionMethod method, StopPolicy stop, RunStatistics stats, RequestMeter meter, ILogger logger, CancellationToken abort)
{
    /// <summary>The answer of <paramref name="encoded"/>'s request (a success, or a failure of its lines); null when it
    /// was not answered: stopped before it was sent, dropped on abort, or failed about the endpoint, which
    /// <paramref name="encoded"/>'s lines have no output for.</summary>
    /// <param name="encoded">A group's request; it has a body.</param>
    /// <param name="retryTimeouts">False to give up on the first timeout (see <see cref="RequestDispatcher.SendAsync"/>).</param>
    // Once per request: its state machine is pooled rather than a new box per request; every caller awaits it once.
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<PredictionResponse?> SendAsync(EncodedBatch encoded, bool retryTimeouts = true)
    {
        if (stop.Dispatch.IsCancellationRequested)
        {
            return null;
        }

        var request = new PredictionRequest(method, encoded.RequestUtf8!, encoded.Puid);
        PredictionResponse response;
        TimeSpan latency;
        try
        {
            (response, latency) = await dispatcher.SendAsync(request, encoded.Members[0].Index, stop.Dispatch, abort, retryTimeouts, encoded.Members.Count).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
        catch (Exception ex)
        {
            // A client must not throw, but one that does costs this batch only, not the run.
            (response, latency) = (PredictionResponse.Failed(PredictionFailureKind.Line, 0, $"the client failed: {ex.GetType().Name}: {ex.Message}"), TimeSpan.Zero);
        }

        stats.AddRequest(response, latency);
        meter.Record(response, latency);
        if (response.Failure is { IsAboutEndpoint: true } endpoint)
        {
            stop.EndpointFailed(endpoint);
            return null;
        }

        if (!response.IsSuccess)
        {
            logger.LogDebug("Request {Puid} failed after {Attempts} attempt(s): {Reason}", encoded.Puid, response.Retries + 1, response.Failure);
        }

        return response;
    }
}
