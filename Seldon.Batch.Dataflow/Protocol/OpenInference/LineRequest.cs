using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow.Protocol.OpenInference;

/// <summary>One input line read as an inference request: its tensors, the request's own parameters, requested outputs
/// and id, and the key that says which lines can share one request.</summary>
internal sealed class LineRequest
{
    public LineRequest(InputLine line, IReadOnlyList<LineTensor> inputs, JsonElement parameters, JsonElement outputs, string? id)
    {
        Line = line;
        Inputs = inputs;
        Parameters = parameters;
        Outputs = outputs;
        Id = id;
        var first = inputs.Count > 0 && inputs[0].Shape.Length > 0 ? inputs[0].Shape[0] : -1;
        Rows = first >= 0 && inputs.All(i => i.Shape.Length > 0 && i.Shape[0] == first) ? first : -1;
        MergeKey = Rows < 0 ? null : KeyOf(inputs, parameters, outputs);
    }

    public InputLine Line { get; }

    public IReadOnlyList<LineTensor> Inputs { get; }

    /// <summary>The request's <c>parameters</c>; undefined when none.</summary>
    public JsonElement Parameters { get; }

    /// <summary>The requested <c>outputs</c>; undefined when none.</summary>
    public JsonElement Outputs { get; }

    /// <summary>The line's own request id, kept in its output line.</summary>
    public string? Id { get; }

    /// <summary>The first dimension all inputs share; -1 when they do not share one (the line is sent on its own).</summary>
    public long Rows { get; }

    /// <summary>Lines with equal keys can be concatenated along the first dimension: the same input names, datatypes,
    /// inner shapes and parameters, and the same request parameters and outputs. Null: the line goes alone.</summary>
    public string? MergeKey { get; }

    private static string KeyOf(IReadOnlyList<LineTensor> inputs, JsonElement parameters, JsonElement outputs)
    {
        var key = new StringBuilder();
        foreach (var input in inputs)
        {
            key.Append(input.Name).Append('\u0001').Append(input.Datatype).Append('\u0001');
            key.AppendJoin(',', input.Shape.Skip(1)).Append('\u0001').Append(RawOrEmpty(input.Parameters)).Append('\u0002');
        }

        return key.Append('\u0003').Append(RawOrEmpty(parameters)).Append('\u0003').Append(RawOrEmpty(outputs)).ToString();
    }

    private static string RawOrEmpty(JsonElement element) => element.ValueKind == JsonValueKind.Undefined ? "" : element.GetRawText();
}
