using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>One input line read as an inference request: its tensors, the request's own parameters, requested outputs
/// and id, and the key that says which lines can share one request.</summary>
internal sealed class LineRequest
{
    public LineRequest(IReadOnlyList<LineTensor> inputs, JsonElement parameters, JsonElement outputs, string? id)
    {
        Inputs = inputs;
        Parameters = parameters;
        Outputs = outputs;
        Id = id;
        Rows = SharedRows(inputs);
        MergeKey = Rows < 0 ? null : KeyOf(inputs, parameters, outputs);
    }

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

    private static long SharedRows(IReadOnlyList<LineTensor> inputs)
    {
        var first = inputs.Count > 0 && inputs[0].Shape.Length > 0 ? inputs[0].Shape[0] : -1;
        for (var i = 1; i < inputs.Count && first >= 0; i++)
        {
            if (inputs[i].Shape.Length == 0 || inputs[i].Shape[0] != first)
            {
                first = -1;
            }
        }

        return first;
    }

    // Written for every line: one pooled builder per thread instead of a new one (and its chunks) each time.
    [ThreadStatic]
    private static StringBuilder? t_key;

    // The key of the last line of one input and no parameters or outputs (every data line): the next such line, of the
    // same name, datatype and inner shape, as most are, takes it instead of building an equal string.
    [ThreadStatic]
    private static (string Name, string Datatype, long[] Shape, string Key)? t_lastKey;

    private static string KeyOf(IReadOnlyList<LineTensor> inputs, JsonElement parameters, JsonElement outputs)
    {
        var single = inputs.Count == 1 && inputs[0].Parameters.ValueKind == JsonValueKind.Undefined
            && parameters.ValueKind == JsonValueKind.Undefined && outputs.ValueKind == JsonValueKind.Undefined;
        if (single && t_lastKey is var (name, datatype, shape, lastKey) && SameKey(inputs[0], name, datatype, shape))
        {
            return lastKey;
        }

        var text = BuildKey(inputs, parameters, outputs);
        if (single)
        {
            t_lastKey = (inputs[0].Name, inputs[0].Datatype, inputs[0].Shape, text);
        }

        return text;
    }

    /// <summary>Whether an input without parameters has the key of one of <paramref name="name"/>,
    /// <paramref name="datatype"/> and <paramref name="shape"/>: the same name, datatype and inner shape.</summary>
    private static bool SameKey(LineTensor input, string name, string datatype, long[] shape) =>
        input.Name == name && input.Datatype == datatype && input.Shape.Length == shape.Length
        && (shape.Length == 0 || input.Shape.AsSpan(1).SequenceEqual(shape.AsSpan(1)));

    private static string BuildKey(IReadOnlyList<LineTensor> inputs, JsonElement parameters, JsonElement outputs)
    {
        var key = t_key ??= new StringBuilder(64);
        key.Clear();
        foreach (var input in inputs)
        {
            key.Append(input.Name).Append('\u0001').Append(input.Datatype).Append('\u0001');
            for (var k = 1; k < input.Shape.Length; k++)
            {
                key.Append(k > 1 ? "," : "").Append(input.Shape[k]);
            }

            AppendRaw(key.Append('\u0001'), input.Parameters).Append('\u0002');
        }

        AppendRaw(AppendRaw(key.Append('\u0003'), parameters).Append('\u0003'), outputs);
        var text = key.ToString();
        if (key.Capacity > 4096)
        {
            t_key = null;
        }

        return text;
    }

    private static StringBuilder AppendRaw(StringBuilder key, JsonElement element) =>
        element.ValueKind == JsonValueKind.Undefined ? key : key.Append(element.GetRawText());
}
