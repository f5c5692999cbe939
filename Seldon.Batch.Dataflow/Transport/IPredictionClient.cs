namespace Seldon.Batch.Dataflow;

/// <summary>Sends requests to a model (<see cref="PredictionClients.Create"/> makes the REST and gRPC ones).
/// Implementations are shared by all workers and thread-safe; a failure is returned as a <see cref="PredictionResponse"/>,
/// not thrown (only cancellation throws).</summary>
public interface IPredictionClient : IDisposable
{
    /// <summary>The protocol the client speaks (<see cref="EndpointSettings.Protocol"/>): a
    /// <see cref="PredictionBlock"/> encodes its requests in it, and checks its options against it once, when it is built.</summary>
    InferenceProtocol Protocol { get; }

    /// <summary>Sends one request and returns the answer or the failure.</summary>
    Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken);
}
