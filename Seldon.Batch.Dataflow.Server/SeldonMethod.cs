namespace Seldon.Batch.Dataflow.Server;

/// <summary>The two calls of the Seldon protocol that the demo server answers.</summary>
internal enum SeldonMethod
{
    Predict,
    Feedback,
}
