using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>The settings that decide what an output holds: what is sent for each line (protocol, encoding, method, the
/// model) and how lines are grouped into requests (the batch size). A partial output is continued only by a run with
/// the same ones, so that it ends as one run would have written it. Not the workers, retries, timeouts, host or
/// transport: the output is the same whatever they are. Recorded with the output (<see cref="RunRecord"/>).</summary>
internal sealed class RunSettings
{
    /// <summary>Each setting: its property, its name in the record, its value in a run's options, and whether it is
    /// free text (quoted in messages) rather than a choice or a number.</summary>
    private static readonly (string Property, string Name, Func<BatchOptions, JsonNode> Of, bool Text)[] Table =
    [
        (nameof(EndpointSettings.Protocol), "protocol", o => JsonValue.Create(BatchOptions.Name(o.Endpoint.Protocol)), false),
        (nameof(PredictionBlockOptions.DataType), "data_type", o => JsonValue.Create(BatchOptions.Name(o.Block.DataType)), false),
        (nameof(PredictionBlockOptions.PayloadType), "payload_type", o => JsonValue.Create(BatchOptions.Name(o.Block.PayloadType)), false),
        (nameof(PredictionBlockOptions.Method), "method", o => JsonValue.Create(BatchOptions.Name(o.Block.Method)), false),
        (nameof(PredictionBlockOptions.BatchSize), "batch_size", o => JsonValue.Create(o.Block.BatchSize), false),
        (nameof(EndpointSettings.DeploymentName), "deployment_name", o => JsonValue.Create(o.Endpoint.DeploymentName), true),
        (nameof(EndpointSettings.ModelName), "model_name", o => JsonValue.Create(o.Endpoint.ModelName), true),
        (nameof(EndpointSettings.ModelVersion), "model_version", o => JsonValue.Create(o.Endpoint.ModelVersion), true),
        (nameof(PredictionBlockOptions.InputName), "input_name", o => JsonValue.Create(o.Block.InputName), true),
        (nameof(PredictionBlockOptions.InputDatatype), "datatype", o => JsonValue.Create(o.Block.InputDatatype), true),
        // What a table's row becomes: read as which format, from which columns, in which V2 layout. Every column (null) is
        // recorded as "all", not as JSON null, which a record's reader takes for a setting it does not hold.
        (nameof(BatchOptions.InputFormat), "input_format", o => JsonValue.Create(BatchOptions.FormatName(o.ResolvedInputFormat)), false),
        (nameof(BatchOptions.Columns), "columns", o => o.Columns is { } columns ? new JsonArray([.. columns.Select(c => JsonValue.Create(c))]) : JsonValue.Create("all"), false),
        (nameof(BatchOptions.V2Inputs), "v2_inputs", o => JsonValue.Create(BatchOptions.Name(o.V2Inputs)), false),
    ];

    /// <summary>The values by their name in the record, as JSON text.</summary>
    private readonly Dictionary<string, string> _values;

    private RunSettings(Dictionary<string, string> values) => _values = values;

    /// <summary>The settings of a run of <paramref name="options"/>.</summary>
    public static RunSettings Of(BatchOptions options) =>
        new(Table.ToDictionary(s => s.Name, s => s.Of(options).ToJsonString(), StringComparer.Ordinal));

    /// <summary>The settings recorded in <paramref name="json"/>; null when it is not an object (a record of an older
    /// version has none). A value that is not a plain string or number is kept as it is and compares unequal.</summary>
    public static RunSettings? FromJson(JsonNode? json) =>
        json is JsonObject settings
            ? new(settings.Where(p => p.Value is not null).ToDictionary(p => p.Key, p => p.Value!.ToJsonString(), StringComparer.Ordinal))
            : null;

    /// <summary>How the run read its input (<c>jsonl</c>, <c>csv</c>, <c>parquet</c>), as recorded; null when the record
    /// does not say (an older version's).</summary>
    public string? InputFormat =>
        _values.TryGetValue("input_format", out var text) && JsonNode.Parse(text) is JsonValue value && value.TryGetValue<string>(out var format) ? format : null;

    /// <summary>The settings as the record's JSON object.</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject();
        foreach (var (name, text) in _values)
        {
            json[name] = JsonNode.Parse(text);
        }

        return json;
    }

    /// <summary>The settings whose value differs from <paramref name="recorded"/>, in a fixed order, each by its property
    /// and both values as a message shows them. A setting the record does not hold (a newer one) is not compared.</summary>
    public IReadOnlyList<(string Property, string Recorded, string Now)> DifferencesFrom(RunSettings recorded) =>
        [.. Table
            .Where(s => recorded._values.TryGetValue(s.Name, out var then) && then != _values[s.Name])
            .Select(s => (s.Property, Show(recorded._values[s.Name], s.Text), Show(_values[s.Name], s.Text)))];

    /// <summary>How a value reads in a message: a choice or a number as it is, free text in quotes.</summary>
    private static string Show(string json, bool text)
    {
        try
        {
            using var value = JsonDocument.Parse(json);
            return value.RootElement.ValueKind switch
            {
                JsonValueKind.String => text ? $"'{value.RootElement.GetString()}'" : value.RootElement.GetString()!,
                // A list of names (the columns), as it is given: a,b,c.
                JsonValueKind.Array => string.Join(',', value.RootElement.EnumerateArray().Select(e => e.ValueKind == JsonValueKind.String ? e.GetString() : e.GetRawText())),
                _ => json,
            };
        }
        catch (JsonException)
        {
            return json;
        }
    }
}
