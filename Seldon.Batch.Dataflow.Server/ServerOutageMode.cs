namespace Seldon.Batch.Dataflow.Server;

/// <summary>How the server behaves during its outage window (<see cref="ServeOptions.OutageAfter"/>).</summary>
public enum ServerOutageMode
{
    /// <summary>Every connection is reset without an answer, as a model whose pod went away.</summary>
    Reset,

    /// <summary>Every request is answered HTTP 503 <c>no healthy upstream</c> (gRPC Unavailable), as an ingress whose
    /// model has no ready pod.</summary>
    Unavailable,
}
