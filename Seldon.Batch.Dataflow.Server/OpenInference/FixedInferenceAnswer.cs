namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>The benchmark answer (<c>serve --fixed-answer</c>): one FP64 output of zeros with as many rows as the
/// request's first input, without running the model.</summary>
internal static class FixedInferenceAnswer
{
    public static InferenceAnswer For(InferenceCall call, string id)
    {
        var rows = call.Inputs.Count > 0 && call.Inputs[0].Shape.Length > 0 ? call.Inputs[0].Shape[0] : 1;
        return new InferenceAnswer
        {
            ModelName = OpenInferenceModels.DemoModel,
            ModelVersion = OpenInferenceModels.DemoVersion,
            Id = id,
            Outputs = [new InferenceTensor { Name = "output-0", Datatype = "FP64", Shape = [rows, 1], Floats = new double[rows] }],
        };
    }
}
