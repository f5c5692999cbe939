namespace Seldon.Batch.Dataflow;

/// <summary>Makes the client of a transport.</summary>
public static class PredictionClients
{
    /// <summary>The client of <paramref name="transport"/> for <paramref name="endpoint"/>; the caller disposes it. It
    /// sends each request once: a <see cref="PredictionBlock"/> given it applies retries, the outage breaker,
    /// pacing and the worker bound of its options.</summary>
    /// <param name="transport">REST or gRPC.</param>
    /// <param name="endpoint">Where the model is and how to reach it.</param>
    public static IPredictionClient Create(TransportType transport, EndpointSettings endpoint) => CreateInspector(transport, endpoint);

    /// <summary>The same client, as the file run uses it: it asks the model's readiness and metadata too.</summary>
    internal static IModelInspector CreateInspector(TransportType transport, EndpointSettings endpoint) => transport switch
    {
        TransportType.Rest => new RestPredictionClient(endpoint),
        TransportType.Grpc => new GrpcPredictionClient(endpoint),
        _ => throw new NotSupportedException($"the {transport} transport is not available"),
    };
}
