namespace Seldon.Batch.Dataflow.Transport;

/// <summary>A client that can ask, before the first line, whether the model exists and is ready, and what it takes.</summary>
internal interface IModelInspector
{
    /// <summary>Asks the model's readiness and metadata; never throws but for cancellation.</summary>
    Task<ModelInspection> InspectAsync(CancellationToken cancellationToken);
}
