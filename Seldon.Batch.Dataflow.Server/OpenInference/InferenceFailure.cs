using Grpc.Core;

namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>A request the demo server refuses, with the HTTP status and gRPC code MLServer gives that case.</summary>
internal sealed class InferenceFailure(int httpStatus, StatusCode grpcCode, string message, bool isValidation = false) : Exception(message)
{
    public int HttpStatus { get; } = httpStatus;

    public StatusCode GrpcCode { get; } = grpcCode;

    /// <summary>A request-validation failure, whose REST body is <c>{"detail": [...]}</c> rather than <c>{"error": "…"}</c>.</summary>
    public bool IsValidation { get; } = isValidation;

    /// <summary>MLServer's 422: the body is not an InferenceRequest (gRPC FailedPrecondition, as MLServer maps 422).</summary>
    public static InferenceFailure Invalid(string message) => new(422, StatusCode.FailedPrecondition, message, isValidation: true);

    /// <summary>MLServer's InferenceError: the model refuses the request (400, InvalidArgument).</summary>
    public static InferenceFailure Refused(string message) =>
        new(400, StatusCode.InvalidArgument, $"mlserver.errors.InferenceError: {OpenInferenceModels.DemoModel}: {message}");

    /// <summary>A plain exception in the model (500, Internal).</summary>
    public static InferenceFailure Crashed(string message) => new(500, StatusCode.Internal, $"builtins.ValueError: {message}");

    /// <summary>An unknown model or version (404, NotFound).</summary>
    public static InferenceFailure NotFound(string model, string version) => new(
        404, StatusCode.NotFound, version.Length == 0 ? $"Model {model} not found" : $"Model {model} with version {version} not found");
}
