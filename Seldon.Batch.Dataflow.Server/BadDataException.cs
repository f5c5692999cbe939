namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// The request is not a valid Seldon message (or feedback): answered HTTP 400 <c>MICROSERVICE_BAD_DATA</c>,
/// gRPC InvalidArgument.
/// </summary>
internal sealed class BadDataException(string message) : Exception(message);
