namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>The demo model over the Open Inference Protocol, with the Seldon demo model's semantics: every input comes
/// back as an output of the same name, shape and datatype, numbers doubled, texts upper-cased, booleans as they were.
/// Asked for by name, the output <c>total</c> holds the sum of all numbers with shape [1] (no batch dimension). An unknown
/// requested output is refused as MLServer refuses it (InferenceError: 400, InvalidArgument). With
/// <see cref="ServeOptions.AnswerPosition"/> there is one more output, <c>position</c> (INT64), holding each row's 0-based
/// position along the request's first dimension: an answer that depends on how the client grouped its rows.</summary>
internal static class DemoInferenceModel
{
    /// <param name="call">The request.</param>
    /// <param name="id">The answer's id.</param>
    /// <param name="answerPosition">Whether the answer has the output <c>position</c>.</param>
    public static InferenceAnswer Infer(InferenceCall call, string id, bool answerPosition = false)
    {
        var outputs = new List<InferenceTensor>();
        foreach (var input in call.Inputs)
        {
            if (input.Count != input.ShapeSize)
            {
                throw InferenceFailure.Crashed($"cannot reshape array of size {input.Count} into shape ({string.Join(',', input.Shape)})");
            }

            outputs.Add(new InferenceTensor
            {
                Name = input.Name,
                Datatype = input.Datatype,
                Shape = input.Shape,
                Parameters = new() { ["content_type"] = input.IsText ? "str" : "np" },
                Floats = [.. input.Floats.Select(v => input.Datatype == "FP32" ? (double)(float)(v * 2) : v * 2)],
                Integers = [.. input.Integers.Select(v => v * 2)],
                Booleans = input.Booleans,
                Texts = [.. input.Texts.Select(t => t.ToUpperInvariant())],
            });
        }

        if (answerPosition)
        {
            outputs.Add(Position(call));
        }

        if (call.RequestedOutputs.Count > 0)
        {
            var chosen = new List<InferenceTensor>();
            foreach (var name in call.RequestedOutputs)
            {
                chosen.Add(name == OpenInferenceModels.TotalOutput ? Total(call)
                    : outputs.FirstOrDefault(o => o.Name == name)
                        ?? throw InferenceFailure.Refused($"unknown output '{name}'; the outputs are {string.Join(", ", outputs.Select(o => o.Name).Append(OpenInferenceModels.TotalOutput))}"));
            }

            outputs = chosen;
        }

        return new InferenceAnswer
        {
            ModelName = OpenInferenceModels.DemoModel,
            ModelVersion = OpenInferenceModels.DemoVersion,
            Id = id,
            Parameters = new() { ["model"] = OpenInferenceModels.DemoModel },
            Outputs = outputs,
        };
    }

    /// <summary>The rows' positions: 0 to n-1 along the first dimension of the first input (one row when it has none).</summary>
    private static InferenceTensor Position(InferenceCall call)
    {
        var rows = call.Inputs is [{ Shape: [var first, ..] }, ..] ? first : 1;
        return new InferenceTensor
        {
            Name = OpenInferenceModels.PositionOutput,
            Datatype = "INT64",
            Shape = [rows],
            Parameters = new() { ["content_type"] = "np" },
            Integers = [.. Enumerable.Range(0, (int)rows).Select(i => (long)i)],
        };
    }

    private static InferenceTensor Total(InferenceCall call) => new()
    {
        Name = OpenInferenceModels.TotalOutput,
        Datatype = "FP64",
        Shape = [1],
        Parameters = new() { ["content_type"] = "np" },
        Floats = [call.Inputs.Sum(i => i.Floats.Sum() + i.Integers.Sum())],
    };
}
