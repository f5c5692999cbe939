using System.Text.Json;

namespace Seldon.Batch.Dataflow.Protocol.OpenInference;

/// <summary>One output tensor of an answer, its values flattened (servers answer flat, but nested data is read too).</summary>
internal sealed class AnswerTensor
{
    private AnswerTensor(JsonElement output, string name, long[] shape, List<JsonElement> values)
    {
        Output = output;
        Name = name;
        Shape = shape;
        Values = values;
    }

    public JsonElement Output { get; }

    public string Name { get; }

    public long[] Shape { get; }

    public List<JsonElement> Values { get; }

    public static AnswerTensor? Read(JsonElement output, out string? problem)
    {
        problem = null;
        if (output.ValueKind != JsonValueKind.Object)
        {
            problem = $"an output is {SeldonJson.Describe(output)}, not an object";
            return null;
        }

        var name = output.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "";
        if (!output.TryGetProperty("shape", out var s) || s.ValueKind != JsonValueKind.Array
            || !s.EnumerateArray().All(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt64(out var v) && v >= 0))
        {
            problem = $"output '{name}' has no valid shape";
            return null;
        }

        var values = new List<JsonElement>();
        if (output.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            LineTensor.Flatten(data, values);
        }

        return new AnswerTensor(output, name, [.. s.EnumerateArray().Select(x => x.GetInt64())], values);
    }

    /// <summary>Writes the output with only the rows from <paramref name="offset"/> (all of it when -1).</summary>
    public void WriteRows(Utf8JsonWriter w, long offset, int rows)
    {
        if (offset < 0)
        {
            Output.WriteTo(w);
            return;
        }

        var rowSize = Shape.Skip(1).Aggregate(1L, (a, d) => a * d);
        w.WriteStartObject();
        foreach (var property in Output.EnumerateObject())
        {
            if (property.NameEquals("shape"))
            {
                w.WriteStartArray("shape");
                w.WriteNumberValue(rows);
                foreach (var dimension in Shape.Skip(1))
                {
                    w.WriteNumberValue(dimension);
                }

                w.WriteEndArray();
            }
            else if (property.NameEquals("data"))
            {
                w.WriteStartArray("data");
                for (var k = offset * rowSize; k < (offset + rows) * rowSize; k++)
                {
                    Values[(int)k].WriteTo(w);
                }

                w.WriteEndArray();
            }
            else
            {
                property.WriteTo(w);
            }
        }

        w.WriteEndObject();
    }
}
