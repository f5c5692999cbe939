namespace Seldon.Batch.Dataflow;

/// <summary>Records a block's requests in the library's instruments (<see cref="RunInstruments"/>), where the statistics
/// count them, so the metrics and the summary agree: one per request with its final outcome, its retries, and its last
/// attempt's latency. Each instrument costs a branch while nothing listens.</summary>
internal sealed class RequestMeter
{
    private readonly KeyValuePair<string, object?> _protocol;
    private readonly KeyValuePair<string, object?> _transport;

    /// <param name="client">The block's client: its protocol and transport tag the requests.</param>
    public RequestMeter(IPredictionClient client)
    {
        _protocol = new(RunInstruments.ProtocolTag, SettingNames.ValueOf(client.Protocol));
        _transport = new(RunInstruments.TransportTag, client switch
        {
            RestPredictionClient => SettingNames.ValueOf(TransportType.Rest),
            GrpcPredictionClient => SettingNames.ValueOf(TransportType.Grpc),
            _ => "other",
        });
    }

    /// <summary>Records a request's final answer, whose last attempt was <paramref name="latency"/> on the wire.</summary>
    public void Record(PredictionResponse response, TimeSpan latency)
    {
        var outcome = new KeyValuePair<string, object?>(RunInstruments.OutcomeTag, response.IsSuccess ? RunInstruments.Ok : RunInstruments.Failed);
        if (RunInstruments.Requests.Enabled)
        {
            RunInstruments.Requests.Add(1, outcome, _protocol, _transport);
        }

        if (response.Retries > 0 && RunInstruments.Retries.Enabled)
        {
            RunInstruments.Retries.Add(response.Retries, _protocol, _transport);
        }

        if (RunInstruments.RequestDuration.Enabled)
        {
            RunInstruments.RequestDuration.Record(latency.TotalSeconds, outcome, _protocol, _transport);
        }
    }
}
