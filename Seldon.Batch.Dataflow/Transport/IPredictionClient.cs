namespace Seldon.Batch.Dataflow;

/// <summary>Sends Seldon requests to a model. Implementations are shared by all workers and thread-safe;
/// a failure is returned as a <see cref="PredictionResponse"/>, not thrown (only cancellation throws).</summary>
public interface IPredictionClient : IDisposable
{
    /// <summary>Sends one request and returns the answer or the failure.</summary>
    Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken);
}
