namespace Seldon.Batch.Dataflow.Server;

/// <summary>How the model dealt with one request; each transport turns it into its own status.</summary>
internal enum ModelOutcome
{
    /// <summary>The model answered.</summary>
    Answered,

    /// <summary>The request is not a valid message: HTTP 400, gRPC InvalidArgument.</summary>
    BadData,

    /// <summary>The model failed on a valid message: HTTP 500, gRPC Internal.</summary>
    ModelFailure,
}
