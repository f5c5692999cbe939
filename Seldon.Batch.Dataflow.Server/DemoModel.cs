using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// The deterministic model behind the demo server: doubles numbers, upper-cases text, wraps JSON, echoes
/// bytes, and answers feedback, shaped the way the real Seldon Core 1.18 Python server shapes its answers.
/// </summary>
/// <remarks>
/// It works on JSON so that REST and gRPC (converted at its edge with Google.Protobuf's JSON formatter) share
/// one implementation. It validates the message as the protobuf JSON parser would (unknown fields, wrong
/// types, two payloads) and throws <see cref="BadDataException"/> before it writes anything that could hide
/// such a mistake; it throws <see cref="ModelFailureException"/> for valid messages it cannot compute.
/// The answer is written as it goes, so a caller must discard a partly written answer when either is thrown.
/// </remarks>
internal sealed class DemoModel
{
    /// <summary>The tag value the model adds as <c>meta.tags.model</c>.</summary>
    public const string ModelName = "demo";

    /// <summary>The deepest JSON the model accepts; also the depth its documents are parsed with.</summary>
    public const int MaxDepth = 64;

    private const string Data = "data";
    private const string BinData = "binData";
    private const string StrData = "strData";
    private const string JsonData = "jsonData";
    private const string CustomData = "customData";

    // Answers name their columns t:0, t:1, ...; the common widths are encoded once.
    private static readonly JsonEncodedText[] ColumnNames =
        Enumerable.Range(0, 256).Select(i => JsonEncodedText.Encode($"t:{i}")).ToArray();

    private enum TensorValueType
    {
        Float,
        Double,
        Int32,
        Int64,
        NotNumeric,
    }

    /// <summary>Answers a prediction request (a SeldonMessage).</summary>
    public void Predict(JsonElement request, Utf8JsonWriter answer)
    {
        var (meta, payload, field) = ReadMessage(request, "The request");
        if (field is null)
        {
            throw new BadDataException(
                "The request has no data: a SeldonMessage needs one of data, binData, strData, jsonData or customData.");
        }

        answer.WriteStartObject();
        switch (field)
        {
            case Data:
                WriteDoubledData(payload, answer);
                break;
            case StrData:
                RequireKind(payload, JsonValueKind.String, "strData", "a string");
                answer.WriteString(StrData, payload.GetString()!.ToUpperInvariant());
                break;
            case BinData:
                // proto3 JSON carries bytes as base64 text; the model echoes them untouched.
                RequireKind(payload, JsonValueKind.String, "binData", "a base64 string");
                answer.WritePropertyName(BinData);
                payload.WriteTo(answer);
                break;
            case JsonData:
                answer.WriteStartObject(JsonData);
                answer.WriteString("model", ModelName);
                answer.WritePropertyName("input");
                payload.WriteTo(answer);
                answer.WriteEndObject();
                break;
            default:
                RequireKind(payload, JsonValueKind.Object, "customData", "an object (a google.protobuf.Any)");
                answer.WritePropertyName(CustomData);
                payload.WriteTo(answer);
                break;
        }

        WriteMeta(meta, answer, reward: null);
        answer.WriteEndObject();
    }

    /// <summary>Answers a feedback message: no data, and the reward among the tags.</summary>
    public void SendFeedback(JsonElement feedback, Utf8JsonWriter answer)
    {
        if (feedback.ValueKind != JsonValueKind.Object)
        {
            throw new BadDataException(
                $"The feedback must be a JSON object (a Feedback message), not {SeldonJsonNumbers.Describe(feedback.ValueKind)}.");
        }

        JsonElement requestMeta = default;
        float reward = 0;
        foreach (JsonProperty property in feedback.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (property.NameEquals("request"))
            {
                requestMeta = ReadMessage(property.Value, "The feedback's request").Meta;
            }
            else if (property.NameEquals("response"))
            {
                ReadMessage(property.Value, "The feedback's response");
            }
            else if (property.NameEquals("truth"))
            {
                ReadMessage(property.Value, "The feedback's truth");
            }
            else if (property.NameEquals("reward"))
            {
                if (!SeldonJsonNumbers.TryReadDouble(property.Value, out double value))
                {
                    throw new BadDataException(
                        $"The feedback's reward must be a number, not {SeldonJsonNumbers.Describe(property.Value.ValueKind)}.");
                }

                // The reward is a protobuf float: narrowing here makes REST answer what gRPC answers.
                reward = (float)value;
            }
            else
            {
                throw new BadDataException(
                    $"The feedback has an unknown field '{property.Name}'; a Feedback has request, response, reward and truth.");
            }
        }

        answer.WriteStartObject();
        answer.WriteStartObject(Data);
        answer.WriteStartArray("names");
        answer.WriteEndArray();
        answer.WriteStartArray("ndarray");
        answer.WriteEndArray();
        answer.WriteEndObject();
        WriteMeta(requestMeta, answer, reward);
        answer.WriteEndObject();
    }

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
            string oneOf;
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

            if (property.NameEquals(Data))
            {
                oneOf = Data;
            }
            else if (property.NameEquals(StrData))
            {
                oneOf = StrData;
            }
            else if (property.NameEquals(JsonData))
            {
                oneOf = JsonData;
            }
            else if (property.NameEquals(BinData))
            {
                oneOf = BinData;
            }
            else if (property.NameEquals(CustomData))
            {
                oneOf = CustomData;
            }
            else
            {
                throw new BadDataException(
                    $"{what} has an unknown field '{property.Name}'; a SeldonMessage has status, meta, data, binData, " +
                    "strData, jsonData and customData.");
            }

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

    private static void WriteDoubledData(JsonElement data, Utf8JsonWriter answer)
    {
        if (data.ValueKind != JsonValueKind.Object)
        {
            throw new BadDataException(
                $"data must be an object holding tensor, ndarray or tftensor, not {SeldonJsonNumbers.Describe(data.ValueKind)}.");
        }

        string? kind = null;
        JsonElement payload = default;
        foreach (JsonProperty property in data.EnumerateObject())
        {
            string candidate;
            if (property.NameEquals("names"))
            {
                // The request's names are not used (answers name their columns t:i) but must still be well formed.
                ValidateNames(property.Value);
                continue;
            }

            if (property.NameEquals("ndarray"))
            {
                candidate = "ndarray";
            }
            else if (property.NameEquals("tensor"))
            {
                candidate = "tensor";
            }
            else if (property.NameEquals("tftensor"))
            {
                candidate = "tftensor";
            }
            else
            {
                throw new BadDataException(
                    $"data has an unknown field '{property.Name}'; DefaultData has names, tensor, ndarray and tftensor.");
            }

            if (property.Value.ValueKind == JsonValueKind.Null)
            {
                continue;
            }

            if (kind is not null)
            {
                throw new BadDataException($"data sets both {kind} and {candidate}; it holds one payload.");
            }

            kind = candidate;
            payload = property.Value;
        }

        answer.WriteStartObject(Data);
        switch (kind)
        {
            case "ndarray":
                WriteDoubledNdarray(payload, answer);
                break;
            case "tensor":
                WriteDoubledTensor(payload, answer);
                break;
            case "tftensor":
                WriteDoubledTfTensor(payload, answer);
                break;
            default:
                throw new BadDataException("data holds no payload: it needs one of tensor, ndarray or tftensor.");
        }

        answer.WriteEndObject();
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

    private static void WriteDoubledNdarray(JsonElement ndarray, Utf8JsonWriter answer)
    {
        if (ndarray.ValueKind != JsonValueKind.Array)
        {
            throw new BadDataException(
                $"data.ndarray must be an array, not {SeldonJsonNumbers.Describe(ndarray.ValueKind)}.");
        }

        int columns = 0;
        if (ndarray.GetArrayLength() > 0)
        {
            JsonElement firstRow = ndarray[0];
            columns = firstRow.ValueKind == JsonValueKind.Array ? firstRow.GetArrayLength() : 1;
        }

        WriteColumnNames(answer, columns);
        answer.WritePropertyName("ndarray");
        Span<int> path = stackalloc int[MaxDepth];
        WriteDoubled(ndarray, answer, path, depth: 0);
    }

    private static void WriteDoubled(JsonElement element, Utf8JsonWriter answer, Span<int> path, int depth)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                answer.WriteStartArray();
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    path[depth] = index++;
                    WriteDoubled(item, answer, path, depth + 1);
                }

                answer.WriteEndArray();
                break;

            // Integers stay integers, as numpy keeps an int array's type when the real model multiplies it.
            case JsonValueKind.Number when element.TryGetInt64(out long integer) && integer is > long.MinValue / 2 and < long.MaxValue / 2:
                answer.WriteNumberValue(integer * 2);
                break;
            case JsonValueKind.Number:
                double doubled = element.GetDouble() * 2;
                if (!double.IsFinite(doubled))
                {
                    throw new ModelFailureException(
                        $"data.ndarray{FormatPath(path[..depth])} is {element.GetRawText()}, too large to double.");
                }

                SeldonJsonNumbers.WriteFloating(answer, doubled);
                break;
            default:
                throw new ModelFailureException(
                    $"data.ndarray{FormatPath(path[..depth])} is {SeldonJsonNumbers.Describe(element.ValueKind)}, " +
                    "not a number: the demo model multiplies numbers by 2 and cannot use anything else.");
        }
    }

    private static void WriteDoubledTensor(JsonElement tensor, Utf8JsonWriter answer)
    {
        if (tensor.ValueKind != JsonValueKind.Object)
        {
            throw new BadDataException(
                $"data.tensor must be an object with shape and values, not {SeldonJsonNumbers.Describe(tensor.ValueKind)}.");
        }

        JsonElement shape = default;
        JsonElement values = default;
        foreach (JsonProperty property in tensor.EnumerateObject())
        {
            if (property.NameEquals("shape"))
            {
                shape = property.Value;
            }
            else if (property.NameEquals("values"))
            {
                values = property.Value;
            }
            else
            {
                throw new BadDataException($"data.tensor has an unknown field '{property.Name}'; a Tensor has shape and values.");
            }
        }

        RequireArrayOrAbsent(shape, "data.tensor.shape");
        RequireArrayOrAbsent(values, "data.tensor.values");

        long size = 1;
        int rank = 0;
        int lastDimension = 1;
        if (shape.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement dimension in shape.EnumerateArray())
            {
                if (!SeldonJsonNumbers.TryReadInt32(dimension, out int length) || length < 0)
                {
                    throw new BadDataException(
                        $"data.tensor.shape[{rank}] must be a non-negative 32-bit integer, not {dimension.GetRawText()}.");
                }

                size = Math.Min(size * length, int.MaxValue + 1L);
                lastDimension = length;
                rank++;
            }
        }

        int count = 0;
        if (values.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement value in values.EnumerateArray())
            {
                if (!SeldonJsonNumbers.TryReadDouble(value, out _))
                {
                    throw new BadDataException(
                        $"data.tensor.values[{count}] must be a number, not {SeldonJsonNumbers.Describe(value.ValueKind)}.");
                }

                count++;
            }
        }

        if (count != size)
        {
            throw new BadDataException(
                $"data.tensor has {count} values but its shape {FormatShape(shape)} holds {size}.");
        }

        WriteColumnNames(answer, lastDimension);
        answer.WriteStartObject("tensor");
        answer.WriteStartArray("shape");
        if (shape.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement dimension in shape.EnumerateArray())
            {
                SeldonJsonNumbers.TryReadInt32(dimension, out int length);
                answer.WriteNumberValue(length);
            }
        }

        answer.WriteEndArray();
        answer.WriteStartArray("values");
        if (values.ValueKind == JsonValueKind.Array)
        {
            foreach (JsonElement value in values.EnumerateArray())
            {
                SeldonJsonNumbers.TryReadDouble(value, out double number);
                SeldonJsonNumbers.WriteFloating(answer, number * 2);
            }
        }

        answer.WriteEndArray();
        answer.WriteEndObject();
    }

    private static void WriteDoubledTfTensor(JsonElement tensor, Utf8JsonWriter answer)
    {
        if (tensor.ValueKind != JsonValueKind.Object)
        {
            throw new BadDataException(
                $"data.tftensor must be an object (a TensorProto), not {SeldonJsonNumbers.Describe(tensor.ValueKind)}.");
        }

        JsonElement dtype = default;
        JsonElement shape = default;
        JsonElement values = default;
        string? valueField = null;
        TensorValueType valueType = TensorValueType.NotNumeric;
        bool hasContent = false;
        foreach (JsonProperty property in tensor.EnumerateObject())
        {
            JsonElement value = property.Value;
            (string Name, TensorValueType Type)? valueProperty = null;
            if (property.NameEquals("dtype"))
            {
                ValidateDataType(value);
                dtype = value;
            }
            else if (property.NameEquals("tensorShape") || property.NameEquals("tensor_shape"))
            {
                shape = value;
            }
            else if (property.NameEquals("versionNumber") || property.NameEquals("version_number"))
            {
                if (value.ValueKind != JsonValueKind.Null && !SeldonJsonNumbers.TryReadInt32(value, out _))
                {
                    throw new BadDataException($"data.tftensor.versionNumber must be an integer, not {value.GetRawText()}.");
                }
            }
            else if (property.NameEquals("tensorContent") || property.NameEquals("tensor_content"))
            {
                if (value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    throw new BadDataException(
                        $"data.tftensor.tensorContent must be a base64 string, not {SeldonJsonNumbers.Describe(value.ValueKind)}.");
                }

                hasContent = value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0;
            }
            else if (property.NameEquals("doubleVal") || property.NameEquals("double_val"))
            {
                valueProperty = ("doubleVal", TensorValueType.Double);
            }
            else if (property.NameEquals("floatVal") || property.NameEquals("float_val"))
            {
                valueProperty = ("floatVal", TensorValueType.Float);
            }
            else if (property.NameEquals("intVal") || property.NameEquals("int_val"))
            {
                valueProperty = ("intVal", TensorValueType.Int32);
            }
            else if (property.NameEquals("int64Val") || property.NameEquals("int64_val"))
            {
                valueProperty = ("int64Val", TensorValueType.Int64);
            }
            else if (property.NameEquals("stringVal") || property.NameEquals("string_val"))
            {
                valueProperty = ("stringVal", TensorValueType.NotNumeric);
            }
            else if (property.NameEquals("boolVal") || property.NameEquals("bool_val"))
            {
                valueProperty = ("boolVal", TensorValueType.NotNumeric);
            }
            else
            {
                throw new BadDataException(
                    $"data.tftensor has an unknown field '{property.Name}'; the TensorProto fields understood are dtype, " +
                    "tensorShape, versionNumber, tensorContent, floatVal, doubleVal, intVal, stringVal, int64Val and boolVal.");
            }

            if (valueProperty is not { } field)
            {
                continue;
            }

            RequireArrayOrAbsent(value, $"data.tftensor.{field.Name}");

            // An empty repeated field is, in protobuf, the same as an absent one.
            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
            {
                continue;
            }

            if (valueField is not null)
            {
                throw new BadDataException($"data.tftensor has values in both {valueField} and {field.Name}; it needs one.");
            }

            valueField = field.Name;
            valueType = field.Type;
            values = value;
        }

        var (size, lastDimension) = ReadTfShape(shape);
        int count = values.ValueKind == JsonValueKind.Array ? values.GetArrayLength() : 0;
        if (valueField is null && hasContent)
        {
            throw new ModelFailureException(
                "data.tftensor carries its values as tensorContent bytes, which the demo model does not decode; " +
                "send them in doubleVal, floatVal, intVal or int64Val.");
        }

        if (count != size)
        {
            throw new BadDataException($"data.tftensor has {count} values but its tensorShape holds {size}.");
        }

        if (valueType != TensorValueType.NotNumeric)
        {
            ValidateTensorValues(values, valueType, valueField!);
        }
        else if (valueField is not null)
        {
            throw new ModelFailureException(
                $"data.tftensor holds {valueField}, not numbers: the demo model multiplies numbers by 2 and cannot use anything else.");
        }

        WriteColumnNames(answer, lastDimension);
        answer.WriteStartObject("tftensor");
        if (dtype.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            answer.WritePropertyName("dtype");
            dtype.WriteTo(answer);
        }

        WriteTfShape(shape, answer);
        if (valueField is not null)
        {
            answer.WriteStartArray(valueField);
            WriteDoubledTensorValues(values, valueType, valueField, answer);
            answer.WriteEndArray();
        }

        answer.WriteEndObject();
    }

    private static void ValidateDataType(JsonElement dtype)
    {
        bool known = dtype.ValueKind switch
        {
            JsonValueKind.Null => true,
            JsonValueKind.Number => dtype.TryGetInt32(out _),
            JsonValueKind.String => dtype.ValueEquals("DT_INVALID") || dtype.ValueEquals("DT_FLOAT") || dtype.ValueEquals("DT_DOUBLE")
                || dtype.ValueEquals("DT_INT32") || dtype.ValueEquals("DT_UINT8") || dtype.ValueEquals("DT_INT16")
                || dtype.ValueEquals("DT_INT8") || dtype.ValueEquals("DT_STRING") || dtype.ValueEquals("DT_INT64")
                || dtype.ValueEquals("DT_BOOL"),
            _ => false,
        };
        if (!known)
        {
            throw new BadDataException($"data.tftensor.dtype {dtype.GetRawText()} is not a known TensorFlow DataType.");
        }
    }

    /// <summary>Checks a TensorShapeProto and returns how many values it holds and the length of its last dimension.</summary>
    private static (long Size, int LastDimension) ReadTfShape(JsonElement shape)
    {
        if (shape.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
        {
            return (1, 1);
        }

        RequireObjectOrNull(shape, "data.tftensor.tensorShape");
        long size = 1;
        int lastDimension = 1;
        foreach (JsonProperty property in shape.EnumerateObject())
        {
            if (property.NameEquals("unknownRank") || property.NameEquals("unknown_rank"))
            {
                if (property.Value.ValueKind == JsonValueKind.True)
                {
                    throw new BadDataException("data.tftensor.tensorShape has an unknown rank; the model needs the shape of its input.");
                }

                if (property.Value.ValueKind is not (JsonValueKind.False or JsonValueKind.Null))
                {
                    throw new BadDataException("data.tftensor.tensorShape.unknownRank must be a boolean.");
                }
            }
            else if (property.NameEquals("dim"))
            {
                RequireArrayOrAbsent(property.Value, "data.tftensor.tensorShape.dim");
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    continue;
                }

                int index = 0;
                foreach (JsonElement dimension in property.Value.EnumerateArray())
                {
                    long length = ReadTfDimension(dimension, index++);
                    size = Math.Min(size * length, int.MaxValue + 1L);
                    lastDimension = (int)Math.Min(length, int.MaxValue);
                }
            }
            else
            {
                throw new BadDataException(
                    $"data.tftensor.tensorShape has an unknown field '{property.Name}'; a TensorShapeProto has dim and unknownRank.");
            }
        }

        return (size, lastDimension);
    }

    private static long ReadTfDimension(JsonElement dimension, int index)
    {
        RequireObjectOrNull(dimension, $"data.tftensor.tensorShape.dim[{index}]");
        long length = 0;
        if (dimension.ValueKind != JsonValueKind.Object)
        {
            return length;
        }

        foreach (JsonProperty property in dimension.EnumerateObject())
        {
            if (property.NameEquals("size"))
            {
                if (!SeldonJsonNumbers.TryReadInt64(property.Value, out length) || length < 0)
                {
                    throw new BadDataException(
                        $"data.tftensor.tensorShape.dim[{index}].size must be a known, non-negative integer, not {property.Value.GetRawText()}.");
                }
            }
            else if (property.NameEquals("name"))
            {
                if (property.Value.ValueKind is not (JsonValueKind.String or JsonValueKind.Null))
                {
                    throw new BadDataException($"data.tftensor.tensorShape.dim[{index}].name must be a string.");
                }
            }
            else
            {
                throw new BadDataException(
                    $"data.tftensor.tensorShape.dim[{index}] has an unknown field '{property.Name}'; a Dim has size and name.");
            }
        }

        return length;
    }

    /// <summary>Writes the shape back in canonical proto3 JSON (sizes as strings, camelCase names).</summary>
    private static void WriteTfShape(JsonElement shape, Utf8JsonWriter answer)
    {
        answer.WriteStartObject("tensorShape");
        if (shape.ValueKind == JsonValueKind.Object && shape.TryGetProperty("dim", out JsonElement dims)
            && dims.ValueKind == JsonValueKind.Array)
        {
            answer.WriteStartArray("dim");
            Span<byte> digits = stackalloc byte[24];
            foreach (JsonElement dimension in dims.EnumerateArray())
            {
                answer.WriteStartObject();
                long length = 0;
                if (dimension.ValueKind == JsonValueKind.Object)
                {
                    if (dimension.TryGetProperty("size", out JsonElement size))
                    {
                        SeldonJsonNumbers.TryReadInt64(size, out length);
                    }

                    if (dimension.TryGetProperty("name", out JsonElement name) && name.ValueKind == JsonValueKind.String
                        && !name.ValueEquals(""u8))
                    {
                        answer.WritePropertyName("name");
                        name.WriteTo(answer);
                    }
                }

                length.TryFormat(digits, out int written, provider: CultureInfo.InvariantCulture);
                answer.WriteString("size"u8, digits[..written]);
                answer.WriteEndObject();
            }

            answer.WriteEndArray();
        }

        answer.WriteEndObject();
    }

    private static void ValidateTensorValues(JsonElement values, TensorValueType type, string field)
    {
        int index = 0;
        foreach (JsonElement value in values.EnumerateArray())
        {
            bool readable = type switch
            {
                TensorValueType.Int32 => SeldonJsonNumbers.TryReadInt32(value, out _),
                TensorValueType.Int64 => SeldonJsonNumbers.TryReadInt64(value, out _),
                _ => SeldonJsonNumbers.TryReadDouble(value, out _),
            };
            if (!readable)
            {
                string expected = type is TensorValueType.Int32 or TensorValueType.Int64 ? "an integer" : "a number";
                throw new BadDataException($"data.tftensor.{field}[{index}] must be {expected}, not {value.GetRawText()}.");
            }

            index++;
        }
    }

    private static void WriteDoubledTensorValues(JsonElement values, TensorValueType type, string field, Utf8JsonWriter answer)
    {
        Span<byte> digits = stackalloc byte[24];
        int index = 0;
        foreach (JsonElement value in values.EnumerateArray())
        {
            switch (type)
            {
                case TensorValueType.Double:
                    SeldonJsonNumbers.TryReadDouble(value, out double number);
                    SeldonJsonNumbers.WriteFloating(answer, number * 2);
                    break;
                case TensorValueType.Float:
                    SeldonJsonNumbers.TryReadDouble(value, out double wide);
                    SeldonJsonNumbers.WriteFloating(answer, (float)wide * 2f);
                    break;
                case TensorValueType.Int32:
                    SeldonJsonNumbers.TryReadInt32(value, out int integer);
                    long doubled = integer * 2L;
                    if (doubled is < int.MinValue or > int.MaxValue)
                    {
                        throw new ModelFailureException($"data.tftensor.{field}[{index}] is {integer}; doubled it overflows int32.");
                    }

                    answer.WriteNumberValue((int)doubled);
                    break;
                default:
                    SeldonJsonNumbers.TryReadInt64(value, out long big);
                    if (big is < long.MinValue / 2 or > long.MaxValue / 2)
                    {
                        throw new ModelFailureException($"data.tftensor.{field}[{index}] is {big}; doubled it overflows int64.");
                    }

                    // proto3 JSON writes 64-bit integers as strings, so that JavaScript readers keep every digit.
                    (big * 2).TryFormat(digits, out int written, provider: CultureInfo.InvariantCulture);
                    answer.WriteStringValue(digits[..written]);
                    break;
            }

            index++;
        }
    }

    private static void WriteColumnNames(Utf8JsonWriter answer, int columns)
    {
        answer.WriteStartArray("names");
        for (int i = 0; i < columns; i++)
        {
            if (i < ColumnNames.Length)
            {
                answer.WriteStringValue(ColumnNames[i]);
            }
            else
            {
                answer.WriteStringValue(string.Create(CultureInfo.InvariantCulture, $"t:{i}"));
            }
        }

        answer.WriteEndArray();
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

    private static string FormatPath(ReadOnlySpan<int> path)
    {
        var text = new StringBuilder();
        foreach (int index in path)
        {
            text.Append('[').Append(index).Append(']');
        }

        return text.ToString();
    }

    private static string FormatShape(JsonElement shape) =>
        shape.ValueKind == JsonValueKind.Array ? shape.GetRawText() : "[]";
}
