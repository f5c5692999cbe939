namespace Seldon.Batch.Dataflow;

/// <summary>A model's state as the server reports it before a run.</summary>
internal enum ModelState
{
    /// <summary>The model exists and is ready.</summary>
    Ready,

    /// <summary>The model exists but is not ready yet (requests may fail until it is).</summary>
    NotReady,

    /// <summary>The server does not know the model (or that version of it): no request can succeed.</summary>
    Unknown,

    /// <summary>The answer says the settings do not reach a model server of this protocol at all (a route that does not
    /// exist, a server of another protocol, a port of another transport): no request can succeed.</summary>
    Misconfigured,

    /// <summary>The question got no usable answer (no connection, a timeout, an unexpected status).</summary>
    Unanswered,
}
