using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Reads an Open Inference model metadata answer (<c>GET /v2/models/{m}</c> as JSON).</summary>
internal static class ModelMetadata
{
    /// <summary>The declared inputs' names and datatypes; empty when the metadata declares none or is not readable.</summary>
    public static IReadOnlyList<(string Name, string Datatype)> Inputs(string? json)
    {
        var inputs = new List<(string, string)>();
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("inputs", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var input in list.EnumerateArray())
                {
                    if (input.ValueKind == JsonValueKind.Object
                        && input.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String
                        && input.TryGetProperty("datatype", out var datatype) && datatype.ValueKind == JsonValueKind.String)
                    {
                        inputs.Add((name.GetString()!, datatype.GetString()!));
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Metadata that cannot be read only means the user's settings or the values decide.
        }

        return inputs;
    }

    /// <summary>The declared outputs' names; empty when the metadata declares none or is not readable.</summary>
    public static IReadOnlyList<string> Outputs(string? json)
    {
        var outputs = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(string.IsNullOrWhiteSpace(json) ? "{}" : json);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("outputs", out var list) && list.ValueKind == JsonValueKind.Array)
            {
                foreach (var output in list.EnumerateArray())
                {
                    if (output.ValueKind == JsonValueKind.Object && output.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
                    {
                        outputs.Add(name.GetString()!);
                    }
                }
            }
        }
        catch (JsonException)
        {
            // Metadata that cannot be read declares nothing: the answers' outputs are checked as they come.
        }

        return outputs;
    }
}
