using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>One input tensor of one line: its name, datatype and shape, and its values flattened in row-major order
/// (elements of the line's document, which lives until the request is written, or the bytes of a scanned line).</summary>
internal sealed class LineTensor(string name, string datatype, long[] shape, List<JsonElement> values, JsonElement parameters)
{
    /// <summary>A data line's tensor scanned without a document: its values are those at [<paramref name="start"/>,
    /// <paramref name="end"/>) of <paramref name="scanned"/>.</summary>
    public LineTensor(string name, string datatype, long[] shape, ScannedValues scanned, int start, int end)
        : this(name, datatype, shape, NoValues, default) => (Scanned, _scannedStart, _scannedEnd) = (scanned, start, end);

    /// <summary>The <see cref="Values"/> of every scanned tensor: empty, and never added to (a list per line was a
    /// tenth of a scanned line's allocation).</summary>
    private static readonly List<JsonElement> NoValues = [];

    private readonly int _scannedStart;
    private readonly int _scannedEnd;

    /// <summary>The values of a scanned line; null when they are <see cref="Values"/>.</summary>
    public ScannedValues? Scanned { get; }

    /// <summary>Writes the values, one JSON value each, into the open array of <paramref name="w"/>.</summary>
    public void WriteValues(Utf8JsonWriter w)
    {
        if (Scanned is not null)
        {
            Scanned.WriteTo(w, _scannedStart, _scannedEnd);
            return;
        }

        foreach (var value in Values)
        {
            value.WriteTo(w);
        }
    }

    public string Name { get; } = name;

    public string Datatype { get; } = datatype;

    public long[] Shape { get; } = shape;

    public List<JsonElement> Values { get; } = values;

    /// <summary>The input's own <c>parameters</c>; undefined when it has none.</summary>
    public JsonElement Parameters { get; } = parameters;

    /// <summary>The product of the dimensions after the first: values per row.</summary>
    public long RowSize => Shape.Skip(1).Aggregate(1L, (a, d) => a * d);

    /// <summary>Flattens a nested (or already flat) array of values depth first.</summary>
    public static void Flatten(JsonElement array, List<JsonElement> into)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Array)
            {
                Flatten(item, into);
            }
            else
            {
                into.Add(item);
            }
        }
    }

    /// <summary>The shape of a rectangular nested array and its values; null with <paramref name="error"/> for a ragged one.</summary>
    public static long[]? ShapeOf(JsonElement array, List<JsonElement> values, out string? error)
    {
        var shape = new List<long>();
        for (var level = array; level.ValueKind == JsonValueKind.Array; level = level.GetArrayLength() > 0 ? level[0] : default)
        {
            shape.Add(level.GetArrayLength());
        }

        error = Walk(array, shape, 0, values);
        return error is null ? [.. shape] : null;
    }

    private static string? Walk(JsonElement array, List<long> shape, int depth, List<JsonElement> values)
    {
        if (array.GetArrayLength() != shape[depth])
        {
            return $"the array is ragged: {array.GetArrayLength()} items where the first has {shape[depth]} at depth {depth + 1}";
        }

        foreach (var item in array.EnumerateArray())
        {
            var isArray = item.ValueKind == JsonValueKind.Array;
            if (isArray != (depth + 1 < shape.Count))
            {
                return $"the array is ragged: arrays and values are mixed at depth {depth + 2}";
            }

            if (isArray)
            {
                if (Walk(item, shape, depth + 1, values) is { } error)
                {
                    return error;
                }
            }
            else
            {
                values.Add(item);
            }
        }

        return null;
    }
}
