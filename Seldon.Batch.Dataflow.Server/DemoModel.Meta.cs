using System.Text.Json;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>The answer's meta: the request's puid and tags passed through, then the model's own tags.</summary>
internal sealed partial class DemoModel
{
    /// <summary>
    /// Writes the answer's meta: the request's puid and tags, the tags' numbers as floats (the real server's
    /// tags pass through protobuf Value, which only has doubles), then the model's own tags, which win.
    /// </summary>
    private static void WriteMeta(JsonElement meta, Utf8JsonWriter answer, float? reward)
    {
        answer.WriteStartObject("meta");
        JsonElement tags = default;
        if (meta.ValueKind == JsonValueKind.Object)
        {
            if (meta.TryGetProperty("puid", out JsonElement puid) && puid.ValueKind == JsonValueKind.String)
            {
                answer.WritePropertyName("puid");
                puid.WriteTo(answer);
            }

            meta.TryGetProperty("tags", out tags);
        }

        answer.WriteStartObject("tags");
        if (tags.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty tag in tags.EnumerateObject())
            {
                if (tag.NameEquals("model") || (reward.HasValue && tag.NameEquals("reward")))
                {
                    continue;
                }

                answer.WritePropertyName(tag.Name);
                WriteTagValue(tag.Value, answer);
            }
        }

        answer.WriteString("model", ModelName);
        if (reward.HasValue)
        {
            answer.WritePropertyName("reward");
            SeldonJsonNumbers.WriteFloating(answer, reward.Value);
        }

        answer.WriteEndObject();
        answer.WriteEndObject();
    }

    private static void WriteTagValue(JsonElement value, Utf8JsonWriter answer)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                SeldonJsonNumbers.WriteFloating(answer, value.GetDouble());
                break;
            case JsonValueKind.Object:
                answer.WriteStartObject();
                foreach (JsonProperty property in value.EnumerateObject())
                {
                    answer.WritePropertyName(property.Name);
                    WriteTagValue(property.Value, answer);
                }

                answer.WriteEndObject();
                break;
            case JsonValueKind.Array:
                answer.WriteStartArray();
                foreach (JsonElement item in value.EnumerateArray())
                {
                    WriteTagValue(item, answer);
                }

                answer.WriteEndArray();
                break;
            default:
                value.WriteTo(answer);
                break;
        }
    }
}
