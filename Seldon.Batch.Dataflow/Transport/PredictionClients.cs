namespace Seldon.Batch.Dataflow;

/// <summary>Makes the client of an endpoint: the one way to make one.</summary>
public static class PredictionClients
{
    /// <summary>The client of <paramref name="endpoint"/>'s <see cref="EndpointSettings.Transport"/> (REST or gRPC),
    /// speaking its <see cref="EndpointSettings.Protocol"/>; the caller disposes it. It sends each request once: a
    /// <see cref="PredictionBlock"/> given it applies retries, the outage breaker, pacing and the worker bound of its
    /// options.</summary>
    /// <param name="endpoint">Where the model is, how to reach it and what it speaks; validated here.</param>
    /// <exception cref="InvalidBatchOptionsException">A setting of <paramref name="endpoint"/> is invalid.</exception>
    public static IPredictionClient Create(EndpointSettings endpoint)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        endpoint.Validate();
        return CreateInspector(endpoint);
    }

    /// <summary>The same client, as the file run uses it: it asks the model's readiness and metadata too.</summary>
    internal static IModelInspector CreateInspector(EndpointSettings endpoint) => endpoint.Transport switch
    {
        TransportType.Rest => new RestPredictionClient(endpoint),
        TransportType.Grpc => new GrpcPredictionClient(endpoint),
        _ => throw InvalidBatchOptionsException.About(nameof(EndpointSettings.Transport), $": {endpoint.Transport} is not a transport (rest or grpc)"),
    };
}
