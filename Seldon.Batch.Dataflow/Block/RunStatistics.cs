using System.Collections.Concurrent;

namespace Seldon.Batch.Dataflow;

/// <summary>Live counters of a running <see cref="PredictionBlock"/>: pass one to <see cref="PredictionBlock.Create"/>
/// and read it while the block runs (a progress display, a health check); thread-safe.</summary>
public sealed class RunStatistics
{
    private readonly ConcurrentDictionary<string, long> _failuresByKind = new(StringComparer.Ordinal);
    private readonly LatencyHistogram _latency = new();
    private long _instances;
    private long _succeeded;
    private long _failed;
    private long _retries;
    private long _requests;
    private long _answered;
    private long _unanswered;
    private StopPolicy? _stop;

    /// <summary>Output lines produced so far.</summary>
    public long Instances => Interlocked.Read(ref _instances);

    /// <summary>Lines answered by the model so far.</summary>
    public long Succeeded => Interlocked.Read(ref _succeeded);

    /// <summary>Error records so far.</summary>
    public long Failed => Interlocked.Read(ref _failed);

    /// <summary>Retries so far.</summary>
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>Requests sent so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Requests that got an answer from the server (success or not).</summary>
    public long Answered => Interlocked.Read(ref _answered);

    /// <summary>Requests that got no answer at all after every attempt (refused, reset, timed out).</summary>
    public long Unanswered => Interlocked.Read(ref _unanswered);

    /// <summary>The failure about the endpoint (a misconfiguration, an outage past <c>--max-outage</c>) that stopped
    /// sending; null while none did. The lines it left unanswered have no output. Read from the stop policy of the
    /// block these counters were last given to.</summary>
    public PredictionFailure? EndpointFailure => Volatile.Read(ref _stop)?.EndpointFailure;

    /// <summary>Error records by <see cref="LineFailure.Category"/>.</summary>
    public IReadOnlyDictionary<string, long> FailuresByKind => new SortedDictionary<string, long>(_failuresByKind, StringComparer.Ordinal);

    internal void AddRequest(PredictionResponse response, TimeSpan latency)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _retries, response.Retries);
        _latency.Record(latency);
        if (response.Failure is { ReachedServer: false })
        {
            Interlocked.Increment(ref _unanswered);
        }
        else
        {
            Interlocked.Increment(ref _answered);
        }
    }

    /// <summary>Makes <see cref="EndpointFailure"/> read <paramref name="stop"/>'s record: a block's stop policy is the one
    /// place a failure about the endpoint is recorded.</summary>
    internal void ReadEndpointFailureFrom(StopPolicy stop) => Volatile.Write(ref _stop, stop);

    internal void AddResult(InstanceResult result)
    {
        Interlocked.Increment(ref _instances);
        if (result.Succeeded)
        {
            Interlocked.Increment(ref _succeeded);
        }
        else
        {
            Interlocked.Increment(ref _failed);
            _failuresByKind.AddOrUpdate(result.Failure!.Category, 1, (_, n) => n + 1);
        }
    }

    /// <summary>The latency under which <paramref name="quantile"/> of the requests so far were answered.</summary>
    internal TimeSpan LatencyPercentile(double quantile) => _latency.Percentile(quantile);
}
