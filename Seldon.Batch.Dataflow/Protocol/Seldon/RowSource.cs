using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>The rows one line brings to a micro-batch, and what a line must share with the batch's first
/// line to be merged with it (payload kind, row shape, names).</summary>
internal sealed class RowSource : IDisposable
{
    // An ndarray line of a data file is read as a document and its rows are written straight from it: no node tree.
    private readonly JsonDocument? _document;

    private RowSource(bool isTensor, int[] dimensions, IReadOnlyList<JsonNode?> values, int rows, JsonArray? names)
    {
        IsTensor = isTensor;
        Dimensions = dimensions;
        Values = values;
        Rows = rows;
        Names = names;
    }

    // An ndarray line of numbers scanned without a document (NdarrayScanner): its rows' compact bytes, rented from the
    // shared pool, row i ending at _rowEnds[i].
    private byte[]? _scanned;
    private readonly int[] _rowEnds = [];

    private RowSource(byte[] scanned, int[] rowEnds, int[] dimensions)
    {
        _scanned = scanned;
        _rowEnds = rowEnds;
        Dimensions = dimensions;
        Values = [];
        Rows = dimensions[0];
    }

    private RowSource(JsonDocument document, int[] dimensions)
    {
        _document = document;
        Dimensions = dimensions;
        Values = [];
        Rows = dimensions[0];
    }

    public bool IsTensor { get; }

    /// <summary>The line's shape; the first dimension is its row count.</summary>
    public int[] Dimensions { get; }

    /// <summary>Rows (ndarray) or flattened numbers (tensor), as written in the line; empty for a source read
    /// with <see cref="FromNdarray"/>, whose rows <see cref="WriteRows"/> writes.</summary>
    public IReadOnlyList<JsonNode?> Values { get; }

    public int Rows { get; }

    public JsonArray? Names { get; }

    /// <summary>Rows of a <c>data</c> line: an ndarray (its items are the rows) or an array read as a tensor.</summary>
    public static RowSource? FromArray(JsonNode? node, bool asTensor, JsonArray? names, out string? error)
    {
        if (asTensor)
        {
            var shape = ArrayShape.TryRead(node, out error);
            if (shape is null)
            {
                error = $"wrong shape: {error}";
                return null;
            }

            return new RowSource(true, shape.Dimensions, shape.Values, shape.Dimensions[0], names);
        }

        if (node is not JsonArray array)
        {
            error = $"wrong shape: an ndarray must be a JSON array, found {SeldonJson.Describe(node)}";
            return null;
        }

        error = null;
        var rows = array.ToList();
        return new RowSource(false, StructuralShape(array), rows, array.Count, names);
    }

    /// <summary>Rows of an ndarray line of numbers, scanned without a document; null when the line needs the document
    /// path (<see cref="FromNdarray"/>): strings, objects, text that is not ASCII, invalid JSON.</summary>
    public static RowSource? TryScanNdarray(string text) =>
        NdarrayScanner.TryScan(text, out var rows, out var rowEnds, out var dimensions) ? new RowSource(rows, rowEnds, dimensions) : null;

    /// <summary>As <see cref="TryScanNdarray(string)"/>, from the line's bytes when it was read as bytes.</summary>
    public static RowSource? TryScanNdarray(in InputLine line) =>
        NdarrayScanner.TryScan(line, null, out var rows, out var rowEnds, out var dimensions) ? new RowSource(rows, rowEnds, dimensions) : null;

    /// <summary>Rows of an ndarray line read as a document, which the source owns from here on (also when it
    /// returns null).</summary>
    public static RowSource? FromNdarray(JsonDocument document, out string? error)
    {
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Array)
        {
            error = $"wrong shape: an ndarray must be a JSON array, found {SeldonJson.Describe(root)}";
            document.Dispose();
            return null;
        }

        // Dimensions found by following first items, as StructuralShape does for nodes.
        var dims = new List<int>();
        for (var probe = root; probe.ValueKind == JsonValueKind.Array;)
        {
            var count = probe.GetArrayLength();
            dims.Add(count);
            if (count == 0)
            {
                break;
            }

            probe = probe[0];
        }

        error = null;
        return new RowSource(document, [.. dims]);
    }

    /// <summary>Writes the rows of an ndarray source, one JSON value each.</summary>
    public void WriteRows(Utf8JsonWriter w)
    {
        if (_scanned is not null)
        {
            var start = 0;
            foreach (var end in _rowEnds)
            {
                // The scan wrote each row as the document's WriteTo would: compact, numbers as written.
                w.WriteRawValue(_scanned.AsSpan(start, end - start), skipInputValidation: true);
                start = end;
            }

            return;
        }

        if (_document is not null)
        {
            foreach (var row in _document.RootElement.EnumerateArray())
            {
                row.WriteTo(w);
            }

            return;
        }

        foreach (var row in Values)
        {
            SeldonJson.WriteNode(w, row);
        }
    }

    /// <summary>Returns the document of a source read with <see cref="FromNdarray"/> (or the bytes of a scanned one) to its pool.</summary>
    public void Dispose()
    {
        _document?.Dispose();
        if (_scanned is { } scanned)
        {
            _scanned = null;
            System.Buffers.ArrayPool<byte>.Shared.Return(scanned);
        }
    }

    /// <summary>Rows of a raw line: a Seldon message with <c>data.ndarray</c> or <c>data.tensor</c>.</summary>
    public static RowSource? FromMessage(JsonNode? node, out string? error)
    {
        if (node is not JsonObject message || message["data"] is not JsonObject data)
        {
            error = "wrong shape: a raw line in a micro-batch must be a Seldon message with \"data\"";
            return null;
        }

        var names = data["names"] as JsonArray;
        if (data["names"] is not null and not JsonArray)
        {
            error = "wrong shape: \"data.names\" must be an array";
            return null;
        }

        if (data["ndarray"] is { } ndarray)
        {
            return FromArray(ndarray, false, names, out error);
        }

        if (data["tensor"] is JsonObject tensor)
        {
            return FromTensor(tensor, names, out error);
        }

        error = "wrong shape: a raw line in a micro-batch must hold data.ndarray or data.tensor";
        return null;
    }

    private static RowSource? FromTensor(JsonObject tensor, JsonArray? names, out string? error)
    {
        if (tensor["shape"] is not JsonArray shapeNode || shapeNode.Count == 0
            || !shapeNode.All(d => SeldonJson.IsNumber(d) && d!.GetValue<double>() is >= 0 and <= int.MaxValue && d.GetValue<double>() % 1 == 0))
        {
            error = "wrong shape: \"data.tensor.shape\" must be a non-empty list of sizes";
            return null;
        }

        if (tensor["values"] is not JsonArray values || !values.All(SeldonJson.IsNumber))
        {
            error = "wrong shape: \"data.tensor.values\" must be a list of numbers";
            return null;
        }

        var dims = shapeNode.Select(d => (int)d!.GetValue<double>()).ToArray();
        long count = dims.Aggregate(1L, (a, d) => a * d);
        if (count != values.Count)
        {
            error = $"wrong shape: the tensor's shape holds {count} values but {values.Count} were given";
            return null;
        }

        error = null;
        return new RowSource(true, dims, values.ToList(), dims[0], names);
    }

    /// <summary>Why <paramref name="other"/> cannot join a batch that started with this line; null when it can.</summary>
    public string? Describe(RowSource other)
    {
        if (other.IsTensor != IsTensor)
        {
            return "wrong shape: the line's payload kind differs from the first line of its micro-batch";
        }

        if (!Dimensions.AsSpan(1).SequenceEqual(other.Dimensions.AsSpan(1)))
        {
            return $"wrong shape: rows of shape [{string.Join(',', other.Dimensions.Skip(1))}] cannot join a micro-batch of rows of shape [{string.Join(',', Dimensions.Skip(1))}]";
        }

        var mine = Names?.ToJsonString() ?? "[]";
        var theirs = other.Names?.ToJsonString() ?? "[]";
        if (mine != theirs)
        {
            return $"wrong shape: names {theirs} differ from the names {mine} of the first line of its micro-batch";
        }

        return null;
    }

    /// <summary>Dimensions found by following first items, enough to tell rows of different shapes apart.</summary>
    private static int[] StructuralShape(JsonArray array)
    {
        var dims = new List<int>();
        JsonNode? probe = array;
        while (probe is JsonArray a)
        {
            dims.Add(a.Count);
            probe = a.Count > 0 ? a[0] : null;
        }

        return [.. dims];
    }
}
