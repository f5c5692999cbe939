using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>The shape of a rectangular, all-numeric nested JSON array, with its values in row-major order.</summary>
internal sealed class ArrayShape
{
    private ArrayShape(int[] dimensions, List<JsonNode> values)
    {
        Dimensions = dimensions;
        Values = values;
    }

    public int[] Dimensions { get; }

    /// <summary>The numbers as they were written (so integers stay integers).</summary>
    public List<JsonNode> Values { get; }

    public bool AllIntegers => Values.TrueForAll(SeldonJson.IsIntegerLiteral);

    /// <summary>Reads the shape of <paramref name="node"/>; a ragged or non-numeric array gives an error.</summary>
    public static ArrayShape? TryRead(JsonNode? node, out string? error)
    {
        if (node is not JsonArray array)
        {
            error = $"expected an array, found {SeldonJson.Describe(node)}";
            return null;
        }

        var dims = new List<int>();
        JsonNode? probe = array;
        while (probe is JsonArray a)
        {
            dims.Add(a.Count);
            probe = a.Count > 0 ? a[0] : null;
        }

        var values = new List<JsonNode>();
        error = Collect(array, dims, 0, values);
        return error is null ? new ArrayShape([.. dims], values) : null;
    }

    private static string? Collect(JsonArray array, List<int> dims, int depth, List<JsonNode> values)
    {
        if (array.Count != dims[depth])
        {
            return $"ragged array: a list at depth {depth} has {array.Count} items where {dims[depth]} were expected";
        }

        foreach (var item in array)
        {
            if (depth + 1 < dims.Count)
            {
                if (item is not JsonArray inner)
                {
                    return $"ragged array: {SeldonJson.Describe(item)} at depth {depth + 1} where a list was expected";
                }

                if (Collect(inner, dims, depth + 1, values) is { } error)
                {
                    return error;
                }
            }
            else if (SeldonJson.IsNumber(item))
            {
                values.Add(item!);
            }
            else
            {
                return item is JsonArray
                    ? $"ragged array: a list at depth {depth + 1} where a number was expected"
                    : $"non-numeric value {SeldonJson.Describe(item)} in the array";
            }
        }

        return null;
    }
}
