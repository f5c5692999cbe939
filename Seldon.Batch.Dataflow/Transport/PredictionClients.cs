namespace Seldon.Batch.Dataflow.Transport;

/// <summary>Makes the client for a transport, with retries and pacing around it.</summary>
public static class PredictionClients
{
    /// <summary>A retrying, paced client of the given transport; the caller disposes it.</summary>
    public static IPredictionClient Create(TransportType transport, EndpointSettings endpoint, RetrySettings retry) =>
        new RetryingPredictionClient(CreateTransport(transport, endpoint), retry);

    /// <summary>The bare client of the transport, for the pipeline, which applies retries, the breaker and the worker
    /// bound itself.</summary>
    internal static IPredictionClient CreateTransport(TransportType transport, EndpointSettings endpoint) => transport switch
    {
        TransportType.Rest => new RestPredictionClient(endpoint),
        TransportType.Grpc => new GrpcPredictionClient(endpoint),
        _ => throw new NotSupportedException($"the {transport} transport is not available"),
    };
}
