namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// The request is a valid Seldon message but the model cannot compute an answer for it (for example
/// non-numeric data): answered HTTP 500 <c>MICROSERVICE_INTERNAL_ERROR</c>, gRPC Internal, as the real
/// Seldon model server answers an exception raised by a model.
/// </summary>
internal sealed class ModelFailureException(string message) : Exception(message);
