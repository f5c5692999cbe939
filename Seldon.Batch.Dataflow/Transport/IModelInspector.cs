namespace Seldon.Batch.Dataflow;

/// <summary>A client that can also ask, before the first line, whether the model exists and is ready, and what it takes:
/// the REST and gRPC clients, which the file run makes itself.</summary>
internal interface IModelInspector : IPredictionClient
{
    /// <summary>Asks the model's readiness and metadata; never throws but for cancellation.</summary>
    Task<ModelInspection> InspectAsync(CancellationToken cancellationToken);
}
