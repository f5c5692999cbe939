
namespace Seldon.Batch.Dataflow;

/// <summary>Decides when a run stops before its end, remembers the first reason, and stops dispatching at once: a stop
/// asked from outside (Ctrl-C, SIGTERM), a failure about the endpoint (a misconfiguration, an outage past its budget)
/// or more failed lines than <c>--max-failures</c>. Lines not sent by then are not sent; the output ends before the
/// first line that was not answered.</summary>
internal sealed class StopPolicy : IDisposable
{
    private readonly FailureLimit _maxFailures;
    private readonly string _model;
    private readonly CancellationTokenSource _dispatch;
    private readonly Action<string>? _onStop;
    private readonly Func<string, string> _name;
    private string? _reason;
    private PredictionFailure? _endpointFailure;

    /// <param name="maxFailures">The run's <c>--max-failures</c>.</param>
    /// <param name="host">Where the model is, for the reasons of a stop about the endpoint; null when unknown.</param>
    /// <param name="stopAsked">A stop asked from outside: dispatching stops, no reason is recorded (the run is interrupted).</param>
    /// <param name="onStop">Told the reason once, when the policy stops the run.</param>
    /// <param name="name">The word for a setting the reasons name (<c>EndpointSettings.Host</c>, <c>MaxFailures</c>);
    /// its own name when null.</param>
    public StopPolicy(FailureLimit maxFailures, string? host, CancellationToken stopAsked, Action<string>? onStop = null, Func<string, string>? name = null)
    {
        _maxFailures = maxFailures;
        _name = name ?? (static setting => setting);
        _model = host is null ? "the model" : $"the model at {host}";
        _onStop = onStop;
        _dispatch = CancellationTokenSource.CreateLinkedTokenSource(stopAsked);
    }

    /// <summary>Cancelled when nothing more may be sent.</summary>
    public CancellationToken Dispatch => _dispatch.Token;

    /// <summary>Why the policy stopped the run; null when it did not.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>The first failure about the endpoint (a misconfiguration, an outage past its budget), which stopped
    /// sending; null while none came. The one record of it: a block's completion, its statistics and a run's stop
    /// reason all read it here.</summary>
    public PredictionFailure? EndpointFailure => Volatile.Read(ref _endpointFailure);

    /// <summary>A request got a final failure about the endpoint: its lines are not answered and the run stops. The
    /// first such failure is recorded even when the run was already stopping for another reason.</summary>
    public void EndpointFailed(PredictionFailure failure)
    {
        Interlocked.CompareExchange(ref _endpointFailure, failure, null);
        Stop(failure.Kind == PredictionFailureKind.Outage
            ? $"{_model} is unreachable: {failure.FormatDetail(_name)}"
            : $"{_model} cannot be used: {failure.FormatDetail(_name)}");
    }

    /// <summary>A line was written: stops the run when failures passed <c>--max-failures</c>.</summary>
    /// <param name="result">The line.</param>
    /// <param name="failed">Error records written so far, this one included.</param>
    /// <param name="instances">Lines written so far, this one included.</param>
    public void LineWritten(InstanceResult result, long failed, long instances)
    {
        if (!result.Succeeded && _maxFailures.IsExceeded(failed, instances, final: false))
        {
            Stop(TooManyFailures(failed, instances));
        }
    }

    /// <summary>The reason a completed run still fails <c>--max-failures</c> (a share is judged at the end however few
    /// lines there were); null when it passes.</summary>
    public string? FinalCheck(long failed, long instances) =>
        _maxFailures.IsExceeded(failed, instances, final: true) ? TooManyFailures(failed, instances) : null;

    /// <summary>Stops the run for <paramref name="reason"/> unless it is already stopping for another.</summary>
    public void Stop(string reason)
    {
        if (Interlocked.CompareExchange(ref _reason, reason, null) is null)
        {
            _dispatch.Cancel();
            _onStop?.Invoke(reason);
        }
    }

    public void Dispose() => _dispatch.Dispose();

    private string TooManyFailures(long failed, long instances) =>
        SettingNames.Format($"{failed} of {instances} lines failed, more than {SettingNames.MaxFailures} {_maxFailures}", _name);
}
