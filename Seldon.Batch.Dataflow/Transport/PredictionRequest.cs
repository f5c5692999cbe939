
namespace Seldon.Batch.Dataflow;

/// <summary>One request to the model.</summary>
/// <param name="Method">Predict or feedback.</param>
/// <param name="Body">The Seldon message (or Feedback) as JSON.</param>
/// <param name="Puid">The request's id, sent as <c>seldon-puid</c>.</param>
public sealed record PredictionRequest(PredictionMethod Method, string Body, string Puid);
