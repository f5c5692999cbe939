using System.Globalization;
using System.Text.Json;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Transport;

/// <summary>JSON ⇄ proto for the gRPC edge. Google.Protobuf's <see cref="JsonParser"/> and <see cref="JsonFormatter"/>
/// convert every message, except the one shape that carries nearly all of a batch's bytes: a <c>SeldonMessage</c>
/// whose data is an <c>ndarray</c> of plain values or a <c>tensor</c>. The library converts those one number at a
/// time through a token object, reflection and a string each; at batch size 32 that was a fifth of the client's
/// CPU. The direct path here handles only plain JSON (numbers that are finite doubles, strings, booleans, nulls,
/// nested arrays, names, meta through the library) and hands anything else, whole, to the library, so both paths
/// give the same message and the same errors. Property tests hold the two paths to that.</summary>
internal static class SeldonProtoJson
{
    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(false));
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithFormatDefaultValues(false));

    /// <summary>Arrays nested deeper than this go to the library, which enforces its own recursion limit.</summary>
    private const int MaxDirectDepth = 16;

    /// <summary>Parses a <c>SeldonMessage</c>, failing exactly as <see cref="JsonParser"/> does.</summary>
    public static SeldonMessage ParseMessage(string json) =>
        TryParseDirect(json) ?? Parser.Parse<SeldonMessage>(json);

    /// <summary>Parses a <c>Feedback</c> with the library (feedback is rare and small).</summary>
    public static Feedback ParseFeedback(string json) => Parser.Parse<Feedback>(json);

    /// <summary>Formats a message as <see cref="JsonFormatter"/> would (default values left out).</summary>
    public static string Format(IMessage message) =>
        message is SeldonMessage seldon && TryFormatDirect(seldon) is { } json ? json : Formatter.Format(message);

    /// <summary>The library's parse of the same text, for the tests that compare the two paths.</summary>
    internal static SeldonMessage ParseWithLibrary(string json) => Parser.Parse<SeldonMessage>(json);

    /// <summary>The library's formatting of the same message, for the tests that compare the two paths.</summary>
    internal static string FormatWithLibrary(IMessage message) => Formatter.Format(message);

    /// <summary>The message, or null when the text is not of the plain shape this path handles.</summary>
    internal static SeldonMessage? TryParseDirect(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json, SeldonJson.DocumentOptions);
        }
        catch (JsonException)
        {
            return null;
        }

        using (document)
        {
            try
            {
                return ReadMessage(document.RootElement);
            }
            catch (InvalidOperationException)
            {
                // A string the reader cannot unescape (a lone surrogate): the library reports it.
                return null;
            }
        }
    }

    private static SeldonMessage? ReadMessage(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var message = new SeldonMessage();
        foreach (var property in root.EnumerateObject())
        {
            if (property.NameEquals("data"u8) && message.Data is null)
            {
                if (ReadData(property.Value) is not { } data)
                {
                    return null;
                }

                message.Data = data;
            }
            else if (property.NameEquals("meta"u8) && message.Meta is null && property.Value.ValueKind == JsonValueKind.Object)
            {
                // Small and varied (tags of every kind, routing, metrics): the library's own conversion.
                try
                {
                    message.Meta = Parser.Parse<Meta>(property.Value.GetRawText());
                }
                catch (Exception ex) when (ex is InvalidProtocolBufferException or InvalidJsonException or FormatException)
                {
                    return null;
                }
            }
            else
            {
                return null;
            }
        }

        return message;
    }

    private static DefaultData? ReadData(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var data = new DefaultData();
        var seen = 0;
        foreach (var property in element.EnumerateObject())
        {
            if (property.NameEquals("names"u8) && (seen & 1) == 0)
            {
                seen |= 1;
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    return null;
                }

                foreach (var name in property.Value.EnumerateArray())
                {
                    if (name.ValueKind != JsonValueKind.String)
                    {
                        return null;
                    }

                    data.Names.Add(name.GetString());
                }
            }
            else if (property.NameEquals("ndarray"u8) && (seen & 2) == 0)
            {
                seen |= 2;
                if (property.Value.ValueKind != JsonValueKind.Array || ReadList(property.Value, 1) is not { } list)
                {
                    return null;
                }

                data.Ndarray = list;
            }
            else if (property.NameEquals("tensor"u8) && (seen & 2) == 0)
            {
                seen |= 2;
                if (ReadTensor(property.Value) is not { } tensor)
                {
                    return null;
                }

                data.Tensor = tensor;
            }
            else
            {
                return null;
            }
        }

        return data;
    }

    private static ListValue? ReadList(JsonElement array, int depth)
    {
        if (depth > MaxDirectDepth)
        {
            return null;
        }

        var list = new ListValue();
        foreach (var item in array.EnumerateArray())
        {
            if (ReadValue(item, depth) is not { } value)
            {
                return null;
            }

            list.Values.Add(value);
        }

        return list;
    }

    private static Value? ReadValue(JsonElement element, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Number:
                return element.TryGetDouble(out var number) && double.IsFinite(number) ? Value.ForNumber(number) : null;
            case JsonValueKind.String:
                return Value.ForString(element.GetString()!);
            case JsonValueKind.True:
                return Value.ForBool(true);
            case JsonValueKind.False:
                return Value.ForBool(false);
            case JsonValueKind.Null:
                return Value.ForNull();
            case JsonValueKind.Array:
                return ReadList(element, depth + 1) is { } list ? new Value { ListValue = list } : null;
            default:
                return null; // objects (Struct) and anything else: the library
        }
    }

    private static Tensor? ReadTensor(JsonElement element)
    {
        if (element.ValueKind != JsonValueKind.Object)
        {
            return null;
        }

        var tensor = new Tensor();
        var seen = 0;
        foreach (var property in element.EnumerateObject())
        {
            if (property.NameEquals("shape"u8) && (seen & 1) == 0 && property.Value.ValueKind == JsonValueKind.Array)
            {
                seen |= 1;
                foreach (var size in property.Value.EnumerateArray())
                {
                    if (size.ValueKind != JsonValueKind.Number || !size.TryGetInt32(out var n))
                    {
                        return null;
                    }

                    tensor.Shape.Add(n);
                }
            }
            else if (property.NameEquals("values"u8) && (seen & 2) == 0 && property.Value.ValueKind == JsonValueKind.Array)
            {
                seen |= 2;
                foreach (var item in property.Value.EnumerateArray())
                {
                    if (item.ValueKind != JsonValueKind.Number || !item.TryGetDouble(out var number) || !double.IsFinite(number))
                    {
                        return null;
                    }

                    tensor.Values.Add(number);
                }
            }
            else
            {
                return null;
            }
        }

        return tensor;
    }

    /// <summary>The JSON of a message whose data is an ndarray or a tensor, or null for the library to format.</summary>
    internal static string? TryFormatDirect(SeldonMessage message)
    {
        if (message.DataOneofCase != SeldonMessage.DataOneofOneofCase.Data
            || message.Data.DataOneofCase is not (DefaultData.DataOneofOneofCase.Ndarray or DefaultData.DataOneofOneofCase.Tensor)
            || !IsPlain(message.Data))
        {
            return null;
        }

        return SeldonJson.WriteObject(message, static (w, m) =>
        {
            if (m.Status is not null)
            {
                w.WritePropertyName("status"u8);
                w.WriteRawValue(Formatter.Format(m.Status), skipInputValidation: true);
            }

            if (m.Meta is not null)
            {
                w.WritePropertyName("meta"u8);
                w.WriteRawValue(Formatter.Format(m.Meta), skipInputValidation: true);
            }

            w.WritePropertyName("data"u8);
            WriteData(w, m.Data);
        });
    }

    /// <summary>Whether every value is one the direct writer formats as the library does: no Struct, no empty
    /// Value, no NaN or infinity (the library writes those as strings).</summary>
    private static bool IsPlain(DefaultData data)
    {
        if (data.DataOneofCase == DefaultData.DataOneofOneofCase.Tensor)
        {
            foreach (var number in data.Tensor.Values)
            {
                if (!double.IsFinite(number))
                {
                    return false;
                }
            }

            return true;
        }

        return IsPlain(data.Ndarray);
    }

    private static bool IsPlain(ListValue list)
    {
        foreach (var value in list.Values)
        {
            var plain = value.KindCase switch
            {
                Value.KindOneofCase.NumberValue => double.IsFinite(value.NumberValue),
                Value.KindOneofCase.StringValue or Value.KindOneofCase.BoolValue or Value.KindOneofCase.NullValue => true,
                Value.KindOneofCase.ListValue => IsPlain(value.ListValue),
                _ => false,
            };
            if (!plain)
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteData(Utf8JsonWriter w, DefaultData data)
    {
        w.WriteStartObject();
        if (data.Names.Count > 0)
        {
            w.WriteStartArray("names"u8);
            foreach (var name in data.Names)
            {
                w.WriteStringValue(name);
            }

            w.WriteEndArray();
        }

        if (data.DataOneofCase == DefaultData.DataOneofOneofCase.Ndarray)
        {
            w.WritePropertyName("ndarray"u8);
            WriteList(w, data.Ndarray);
        }
        else
        {
            w.WriteStartObject("tensor"u8);
            if (data.Tensor.Shape.Count > 0)
            {
                w.WriteStartArray("shape"u8);
                foreach (var size in data.Tensor.Shape)
                {
                    w.WriteNumberValue(size);
                }

                w.WriteEndArray();
            }

            if (data.Tensor.Values.Count > 0)
            {
                w.WriteStartArray("values"u8);
                foreach (var number in data.Tensor.Values)
                {
                    WriteNumber(w, number);
                }

                w.WriteEndArray();
            }

            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    private static void WriteList(Utf8JsonWriter w, ListValue list)
    {
        w.WriteStartArray();
        foreach (var value in list.Values)
        {
            switch (value.KindCase)
            {
                case Value.KindOneofCase.NumberValue:
                    WriteNumber(w, value.NumberValue);
                    break;
                case Value.KindOneofCase.StringValue:
                    w.WriteStringValue(value.StringValue);
                    break;
                case Value.KindOneofCase.BoolValue:
                    w.WriteBooleanValue(value.BoolValue);
                    break;
                case Value.KindOneofCase.ListValue:
                    WriteList(w, value.ListValue);
                    break;
                default:
                    w.WriteNullValue();
                    break;
            }
        }

        w.WriteEndArray();
    }

    /// <summary>A finite double in the library's text (round-trip format, invariant culture), without a string.</summary>
    private static void WriteNumber(Utf8JsonWriter w, double number)
    {
        Span<byte> text = stackalloc byte[32];
        if (!number.TryFormat(text, out var length, "r", CultureInfo.InvariantCulture))
        {
            throw new InvalidOperationException($"could not format {number}");
        }

        w.WriteRawValue(text[..length], skipInputValidation: true);
    }
}
