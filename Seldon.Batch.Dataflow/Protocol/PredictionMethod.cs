namespace Seldon.Batch.Dataflow;

/// <summary>The model endpoint each request goes to (<c>--method</c>).</summary>
public enum PredictionMethod
{
    /// <summary>Predictions (<c>/api/v1.0/predictions</c>, gRPC <c>Predict</c>).</summary>
    Predict,
    /// <summary>Feedback (<c>/api/v1.0/feedback</c>, gRPC <c>SendFeedback</c>); input lines are Feedback messages.</summary>
    Feedback,
}
