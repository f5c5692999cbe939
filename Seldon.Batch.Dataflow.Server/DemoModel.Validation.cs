using System.Text.Json;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>Request validation: a SeldonMessage (or Feedback) is checked the way the protobuf JSON parser would check
/// it, so that REST refuses what gRPC refuses, before anything is written.</summary>
internal sealed partial class DemoModel
{
    /// <summary>Reads the parts of a SeldonMessage and checks its structure and its meta.</summary>
    /// <returns>The meta (undefined if absent), the payload, and the payload's field name (null if none).</returns>
    private static (JsonElement Meta, JsonElement Payload, string? Field) ReadMessage(JsonElement message, string what)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            throw new BadDataException(
                $"{what} must be a JSON object (a SeldonMessage), not {SeldonJsonNumbers.Describe(message.ValueKind)}.");
        }

        JsonElement meta = default;
        JsonElement payload = default;
        string? field = null;
        foreach (JsonProperty property in message.EnumerateObject())
        {
            if (property.NameEquals("meta"))
            {
                meta = property.Value;
                continue;
            }

            if (property.NameEquals("status"))
            {
                RequireObjectOrNull(property.Value, $"{what}'s status");
                continue;
            }

            string oneOf = PayloadField(property, what);

            // proto3 JSON: null leaves a field unset, except for a google.protobuf.Value, where null is a value.
            if (property.Value.ValueKind == JsonValueKind.Null && oneOf != JsonData)
            {
                continue;
            }

            if (field is not null)
            {
                throw new BadDataException($"{what} sets both {field} and {oneOf}; a SeldonMessage holds one payload.");
            }

            field = oneOf;
            payload = property.Value;
        }

        ValidateMeta(meta, what);
        return (meta, payload, field);
    }

    /// <summary>The payload field of the oneof that <paramref name="property"/> is; any other field is bad data.</summary>
    private static string PayloadField(JsonProperty property, string what)
    {
        foreach (string oneOf in (ReadOnlySpan<string>)[Data, StrData, JsonData, BinData, CustomData])
        {
            if (property.NameEquals(oneOf))
            {
                return oneOf;
            }
        }

        throw new BadDataException(
            $"{what} has an unknown field '{property.Name}'; a SeldonMessage has status, meta, data, binData, " +
            "strData, jsonData and customData.");
    }

    private static void ValidateMeta(JsonElement meta, string what)
    {
        if (meta.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return;
        }

        RequireObjectOrNull(meta, $"{what}'s meta");
        foreach (JsonProperty property in meta.EnumerateObject())
        {
            JsonElement value = property.Value;
            if (property.NameEquals("puid"))
            {
                if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    throw new BadDataException(
                        $"{what}'s meta.puid must be a string, not {SeldonJsonNumbers.Describe(value.ValueKind)}.");
                }
            }
            else if (property.NameEquals("tags"))
            {
                RequireObjectOrNull(value, $"{what}'s meta.tags");
                if (value.ValueKind == JsonValueKind.Object)
                {
                    foreach (JsonProperty tag in value.EnumerateObject())
                    {
                        ValidateTagValue(tag.Value, tag.Name, what);
                    }
                }
            }
            else if (property.NameEquals("routing") || property.NameEquals("requestPath") || property.NameEquals("request_path"))
            {
                RequireObjectOrNull(value, $"{what}'s meta.{property.Name}");
            }
            else if (property.NameEquals("metrics"))
            {
                if (value.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null))
                {
                    throw new BadDataException(
                        $"{what}'s meta.metrics must be an array, not {SeldonJsonNumbers.Describe(value.ValueKind)}.");
                }
            }
            else
            {
                throw new BadDataException(
                    $"{what}'s meta has an unknown field '{property.Name}'; Meta has puid, tags, routing, requestPath and metrics.");
            }
        }
    }

    private static void ValidateTagValue(JsonElement value, string tag, string what)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Number when !value.TryGetDouble(out _):
                throw new BadDataException($"{what}'s tag '{tag}' holds a number too large for a double.");
            case JsonValueKind.Object:
                foreach (JsonProperty property in value.EnumerateObject())
                {
                    ValidateTagValue(property.Value, tag, what);
                }

                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in value.EnumerateArray())
                {
                    ValidateTagValue(item, tag, what);
                }

                break;
        }
    }

    private static void ValidateNames(JsonElement names)
    {
        if (names.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (names.ValueKind != JsonValueKind.Array)
        {
            throw new BadDataException(
                $"data.names must be an array of strings, not {SeldonJsonNumbers.Describe(names.ValueKind)}.");
        }

        foreach (JsonElement name in names.EnumerateArray())
        {
            if (name.ValueKind != JsonValueKind.String)
            {
                throw new BadDataException(
                    $"data.names must hold strings only; it holds {SeldonJsonNumbers.Describe(name.ValueKind)}.");
            }
        }
    }

    private static void RequireKind(JsonElement value, JsonValueKind kind, string field, string expected)
    {
        if (value.ValueKind != kind)
        {
            throw new BadDataException($"{field} must be {expected}, not {SeldonJsonNumbers.Describe(value.ValueKind)}.");
        }
    }

    private static void RequireObjectOrNull(JsonElement value, string what)
    {
        if (value.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
        {
            throw new BadDataException($"{what} must be an object, not {SeldonJsonNumbers.Describe(value.ValueKind)}.");
        }
    }

    private static void RequireArrayOrAbsent(JsonElement value, string what)
    {
        if (value.ValueKind is not (JsonValueKind.Array or JsonValueKind.Null or JsonValueKind.Undefined))
        {
            throw new BadDataException($"{what} must be an array, not {SeldonJsonNumbers.Describe(value.ValueKind)}.");
        }
    }
}
