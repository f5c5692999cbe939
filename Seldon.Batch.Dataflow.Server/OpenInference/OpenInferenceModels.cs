namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>The models the demo server serves over the Open Inference Protocol: one, <c>demo</c>, version 1.</summary>
internal static class OpenInferenceModels
{
    public const string DemoModel = "demo";

    public const string DemoVersion = "1";

    /// <summary>The input the metadata declares, so that clients learn a name and datatype from it.</summary>
    public const string DemoInput = "features";

    /// <summary>An output without the batch dimension (the sum of all numbers), returned only when asked for by name.</summary>
    public const string TotalOutput = "total";

    /// <summary>Each row's position in the request, answered with <see cref="ServeOptions.AnswerPosition"/>.</summary>
    public const string PositionOutput = "position";

    /// <summary>Throws <see cref="InferenceFailure.NotFound"/> unless the server serves that model and version
    /// (an empty version is the default).</summary>
    public static void Require(string model, string version)
    {
        if (model != DemoModel || (version.Length > 0 && version != DemoVersion))
        {
            throw InferenceFailure.NotFound(model, version);
        }
    }
}
