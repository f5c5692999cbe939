using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>One output tensor of an answer, its values flattened (servers answer flat, but nested data is read too).</summary>
internal sealed class AnswerTensor
{
    private AnswerTensor(JsonElement output, string name, long[] shape, List<JsonElement> values, JsonElement data)
    {
        Output = output;
        Name = name;
        Shape = shape;
        Values = values;
        Data = data;
    }

    public JsonElement Output { get; }

    /// <summary>The output's <c>data</c> when it is an array (its values are <see cref="Values"/>); undefined otherwise.</summary>
    public JsonElement Data { get; }

    public string Name { get; }

    public long[] Shape { get; }

    public List<JsonElement> Values { get; }

    /// <summary>Values per row: the product of the dimensions after the first.</summary>
    private long RowSize
    {
        get
        {
            var size = 1L;
            for (var k = 1; k < Shape.Length; k++)
            {
                size *= Shape[k];
            }

            return size;
        }
    }

    /// <summary>When prerendered: the output's properties in order, written once, with null in the places of
    /// <c>shape</c> and <c>data</c> (marked by <see cref="_shapeAt"/>, <see cref="_dataAt"/>), which are each line's own.</summary>
    private RenderedProperty[]? _rendered;

    private int _shapeAt = -1;

    private int _dataAt = -1;

    /// <summary>Writes what every line's cut of this output shares (its name, datatype, parameters…) once, so that each
    /// line copies the bytes rather than writing them from the document again.</summary>
    public void Prerender(SharedJson shared)
    {
        var rendered = new List<RenderedProperty>();
        foreach (var property in Output.EnumerateObject())
        {
            if (property.NameEquals("shape"u8))
            {
                _shapeAt = rendered.Count;
                rendered.Add(default);
            }
            else if (property.NameEquals("data"u8))
            {
                _dataAt = rendered.Count;
                rendered.Add(default);
            }
            else
            {
                rendered.Add(shared.Property(property));
            }
        }

        _rendered = [.. rendered];
    }

    /// <summary>The output, its values flattened into <see cref="Values"/> when <paramref name="flatten"/> (an answer that is
    /// not split writes each output whole, and needs them not).</summary>
    public static AnswerTensor? Read(JsonElement output, bool flatten, out string? problem)
    {
        problem = null;
        if (output.ValueKind != JsonValueKind.Object)
        {
            problem = $"an output is {SeldonJson.Describe(output)}, not an object";
            return null;
        }

        var name = output.TryGetProperty("name"u8, out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        if (!output.TryGetProperty("shape"u8, out var s) || ShapeOf(s) is not { } shape)
        {
            problem = $"output '{name}' has no valid shape";
            return null;
        }

        List<JsonElement> values;
        if (output.TryGetProperty("data"u8, out var data) && data.ValueKind == JsonValueKind.Array)
        {
            // Sized for flat data, as servers answer (nested data grows it); not filled when not flattened.
            values = new List<JsonElement>(flatten ? data.GetArrayLength() : 0);
            if (flatten)
            {
                LineTensor.Flatten(data, values);
            }
        }
        else
        {
            values = [];
            data = default;
        }

        return new AnswerTensor(output, name, shape, values, data);
    }

    /// <summary>The dimensions of a shape, each a whole number of 0 or more; null for anything else.</summary>
    private static long[]? ShapeOf(JsonElement shape)
    {
        if (shape.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var dimensions = new long[shape.GetArrayLength()];
        var k = 0;
        foreach (var d in shape.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var value) || value < 0)
            {
                return null;
            }

            dimensions[k++] = value;
        }

        return dimensions;
    }

    /// <summary>Whether the values of rows [<paramref name="offset"/>, + <paramref name="rows"/>) (all of them, as the
    /// <c>data</c> array holds them, when -1) are written as their raw bytes (see <see cref="LineTemplate.IsVerbatim"/>).</summary>
    public bool IsVerbatim(long offset, int rows)
    {
        if (offset < 0)
        {
            return Data.ValueKind != JsonValueKind.Array || LineTemplate.IsVerbatim(Data);
        }

        foreach (var value in RowValues(offset, rows))
        {
            if (!LineTemplate.IsVerbatim(value))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The raw values of rows [<paramref name="offset"/>, + <paramref name="rows"/>), comma-separated: what
    /// <see cref="WriteData"/> writes between the brackets when they are verbatim; when -1, what the <c>data</c> array holds
    /// between its brackets, as the whole output writes it when it is verbatim.</summary>
    public void WriteValues(ArrayBufferWriter<byte> buffer, long offset, int rows)
    {
        if (offset < 0)
        {
            LineTemplate.Put(buffer, JsonMarshal.GetRawUtf8Value(Data)[1..^1]);
            return;
        }

        LineTemplate.WriteItems(buffer, RowValues(offset, rows));
    }

    private ReadOnlySpan<JsonElement> RowValues(long offset, int rows)
    {
        var rowSize = RowSize;
        return CollectionsMarshal.AsSpan(Values).Slice((int)(offset * rowSize), (int)(rows * rowSize));
    }

    /// <summary>Writes the output with only the rows from <paramref name="offset"/> (all of it when -1). Into a
    /// <paramref name="template"/>, the values are a hole for output number <paramref name="number"/>, and so is the first
    /// dimension of the shape of a cut output (prerendered outputs only).</summary>
    public void WriteRows(Utf8JsonWriter w, long offset, int rows, LineTemplate? template = null, int number = 0)
    {
        if (offset < 0)
        {
            WriteWhole(w, template, number);
            return;
        }

        w.WriteStartObject();
        if (_rendered is not null)
        {
            for (var p = 0; p < _rendered.Length; p++)
            {
                if (p == _shapeAt)
                {
                    WriteShape(w, rows, template, number);
                }
                else if (p == _dataAt && template is not null)
                {
                    w.WriteStartArray("data"u8);
                    template.Hole(w, LineTemplate.Part.Values, default, number);
                    w.WriteEndArray();
                }
                else if (p == _dataAt)
                {
                    WriteData(w, offset, rows);
                }
                else
                {
                    _rendered[p].WriteTo(w);
                }
            }

            w.WriteEndObject();
            return;
        }

        foreach (var property in Output.EnumerateObject())
        {
            if (property.NameEquals("shape"))
            {
                WriteShape(w, rows);
            }
            else if (property.NameEquals("data"))
            {
                WriteData(w, offset, rows);
            }
            else
            {
                property.WriteTo(w);
            }
        }

        w.WriteEndObject();
    }

    /// <summary>Writes the whole output as it is; into a <paramref name="template"/>, what its <c>data</c> array holds is
    /// a hole (its properties one by one write what the output writes at once).</summary>
    private void WriteWhole(Utf8JsonWriter w, LineTemplate? template, int number)
    {
        if (template is null || Data.ValueKind != JsonValueKind.Array)
        {
            Output.WriteTo(w);
            return;
        }

        w.WriteStartObject();
        foreach (var property in Output.EnumerateObject())
        {
            if (property.NameEquals("data"u8))
            {
                w.WriteStartArray("data"u8);
                template.Hole(w, LineTemplate.Part.Values, default, number);
                w.WriteEndArray();
            }
            else
            {
                property.WriteTo(w);
            }
        }

        w.WriteEndObject();
    }

    private void WriteShape(Utf8JsonWriter w, int rows, LineTemplate? template = null, int number = 0)
    {
        w.WriteStartArray("shape"u8);
        if (template is null)
        {
            w.WriteNumberValue(rows);
        }
        else
        {
            template.Hole(w, LineTemplate.Part.RowCount, "0"u8, number);
        }

        for (var k = 1; k < Shape.Length; k++)
        {
            w.WriteNumberValue(Shape[k]);
        }

        w.WriteEndArray();
    }

    private void WriteData(Utf8JsonWriter w, long offset, int rows)
    {
        var rowSize = RowSize;
        w.WriteStartArray("data"u8);
        for (var k = offset * rowSize; k < (offset + rows) * rowSize; k++)
        {
            Values[(int)k].WriteTo(w);
        }

        w.WriteEndArray();
    }
}
