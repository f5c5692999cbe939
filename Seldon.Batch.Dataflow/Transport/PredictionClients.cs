namespace Seldon.Batch.Dataflow.Transport;

/// <summary>Makes the client for a transport, with retries and pacing around it.</summary>
public static class PredictionClients
{
    /// <summary>A retrying, paced client of the given transport; the caller disposes it.</summary>
    public static IPredictionClient Create(TransportType transport, EndpointSettings endpoint, RetrySettings retry)
    {
        IPredictionClient inner = transport switch
        {
            TransportType.Rest => new RestPredictionClient(endpoint),
            TransportType.Grpc => new GrpcPredictionClient(endpoint),
            _ => throw new NotSupportedException($"the {transport} transport is not available"),
        };
        return new RetryingPredictionClient(inner, retry);
    }
}
