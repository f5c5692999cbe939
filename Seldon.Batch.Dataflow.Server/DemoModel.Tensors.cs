using System.Globalization;
using System.Text.Json;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>Tensors: the Seldon <c>tensor</c> (shape and values) and the TensorFlow <c>tftensor</c> (TensorProto),
/// checked and doubled value by value in their declared type.</summary>
internal sealed partial class DemoModel
{
    private enum TensorValueType
    {
        Float,
        Double,
        Int32,
        Int64,
        NotNumeric,
    }

    private static void WriteDoubledTensor(JsonElement tensor, Utf8JsonWriter answer, bool answerPosition)
    {
        (JsonElement shape, JsonElement values) = ReadTensorFields(tensor);
        long size = ReadTensorShape(shape, out int lastDimension, out int rows);
        int count = CountTensorValues(values);
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
            // The rows are the first dimension, so the values of row i are the i-th run of size / rows values.
            long rowSize = rows > 0 ? Math.Max(1, size / rows) : 1;
            long at = 0;
            foreach (JsonElement value in values.EnumerateArray())
            {
                SeldonJsonNumbers.TryReadDouble(value, out double number);
                SeldonJsonNumbers.WriteFloating(answer, (number * 2) + (answerPosition ? at / rowSize : 0));
                at++;
            }
        }

        answer.WriteEndArray();
        answer.WriteEndObject();
    }

    /// <summary>The shape and values of a Seldon tensor, each an array or absent (default); any other field is bad data.</summary>
    private static (JsonElement Shape, JsonElement Values) ReadTensorFields(JsonElement tensor)
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
        return (shape, values);
    }

    /// <summary>The number of values <paramref name="shape"/> holds (capped just above <see cref="int.MaxValue"/>), its
    /// last dimension (the columns) and its first (the rows); 1 for an absent shape.</summary>
    private static long ReadTensorShape(JsonElement shape, out int lastDimension, out int rows)
    {
        long size = 1;
        int rank = 0;
        lastDimension = 1;
        rows = 1;
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
                rows = rank == 0 ? length : rows;
                rank++;
            }
        }

        return size;
    }

    /// <summary>The number of values, each checked to be a number.</summary>
    private static int CountTensorValues(JsonElement values)
    {
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

        return count;
    }

    private static void WriteDoubledTfTensor(JsonElement tensor, Utf8JsonWriter answer)
    {
        TfTensor parts = ReadTfTensor(tensor);
        var (size, lastDimension) = ReadTfShape(parts.Shape);
        ValidateTfValues(parts, size);
        WriteColumnNames(answer, lastDimension);
        answer.WriteStartObject("tftensor");
        if (parts.Dtype.ValueKind is JsonValueKind.String or JsonValueKind.Number)
        {
            answer.WritePropertyName("dtype");
            parts.Dtype.WriteTo(answer);
        }

        WriteTfShape(parts.Shape, answer);
        if (parts.ValueField is not null)
        {
            answer.WriteStartArray(parts.ValueField);
            WriteDoubledTensorValues(parts.Values, parts.ValueType, parts.ValueField, answer);
            answer.WriteEndArray();
        }

        answer.WriteEndObject();
    }

    /// <summary>The fields of a TensorProto, each checked; at most one repeated value field may hold values.</summary>
    private static TfTensor ReadTfTensor(JsonElement tensor)
    {
        if (tensor.ValueKind != JsonValueKind.Object)
        {
            throw new BadDataException(
                $"data.tftensor must be an object (a TensorProto), not {SeldonJsonNumbers.Describe(tensor.ValueKind)}.");
        }

        var parts = new TfTensor();
        foreach (JsonProperty property in tensor.EnumerateObject())
        {
            if (TfValueField(property) is { } field)
            {
                ReadTfValues(parts, field, property.Value);
            }
            else
            {
                ReadTfOtherField(parts, property);
            }
        }

        return parts;
    }

    /// <summary>The name (in camelCase) and type of a repeated value field, or null for any other field.</summary>
    private static (string Name, TensorValueType Type)? TfValueField(JsonProperty property)
    {
        if (property.NameEquals("doubleVal") || property.NameEquals("double_val"))
        {
            return ("doubleVal", TensorValueType.Double);
        }

        if (property.NameEquals("floatVal") || property.NameEquals("float_val"))
        {
            return ("floatVal", TensorValueType.Float);
        }

        if (property.NameEquals("intVal") || property.NameEquals("int_val"))
        {
            return ("intVal", TensorValueType.Int32);
        }

        if (property.NameEquals("int64Val") || property.NameEquals("int64_val"))
        {
            return ("int64Val", TensorValueType.Int64);
        }

        if (property.NameEquals("stringVal") || property.NameEquals("string_val"))
        {
            return ("stringVal", TensorValueType.NotNumeric);
        }

        if (property.NameEquals("boolVal") || property.NameEquals("bool_val"))
        {
            return ("boolVal", TensorValueType.NotNumeric);
        }

        return null;
    }

    private static void ReadTfValues(TfTensor parts, (string Name, TensorValueType Type) field, JsonElement value)
    {
        RequireArrayOrAbsent(value, $"data.tftensor.{field.Name}");

        // An empty repeated field is, in protobuf, the same as an absent one.
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            return;
        }

        if (parts.ValueField is not null)
        {
            throw new BadDataException($"data.tftensor has values in both {parts.ValueField} and {field.Name}; it needs one.");
        }

        parts.ValueField = field.Name;
        parts.ValueType = field.Type;
        parts.Values = value;
    }

    /// <summary>dtype, tensorShape, versionNumber or tensorContent; any other field is bad data.</summary>
    private static void ReadTfOtherField(TfTensor parts, JsonProperty property)
    {
        JsonElement value = property.Value;
        if (property.NameEquals("dtype"))
        {
            ValidateDataType(value);
            parts.Dtype = value;
        }
        else if (property.NameEquals("tensorShape") || property.NameEquals("tensor_shape"))
        {
            parts.Shape = value;
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

            parts.HasContent = value.ValueKind == JsonValueKind.String && value.GetString()!.Length > 0;
        }
        else
        {
            throw new BadDataException(
                $"data.tftensor has an unknown field '{property.Name}'; the TensorProto fields understood are dtype, " +
                "tensorShape, versionNumber, tensorContent, floatVal, doubleVal, intVal, stringVal, int64Val and boolVal.");
        }
    }

    /// <summary>Checks that the values fill the shape and are numbers the demo model can double.</summary>
    private static void ValidateTfValues(TfTensor parts, long size)
    {
        int count = parts.Values.ValueKind == JsonValueKind.Array ? parts.Values.GetArrayLength() : 0;
        if (parts.ValueField is null && parts.HasContent)
        {
            throw new ModelFailureException(
                "data.tftensor carries its values as tensorContent bytes, which the demo model does not decode; " +
                "send them in doubleVal, floatVal, intVal or int64Val.");
        }

        if (count != size)
        {
            throw new BadDataException($"data.tftensor has {count} values but its tensorShape holds {size}.");
        }

        if (parts.ValueType != TensorValueType.NotNumeric)
        {
            ValidateTensorValues(parts.Values, parts.ValueType, parts.ValueField!);
        }
        else if (parts.ValueField is not null)
        {
            throw new ModelFailureException(
                $"data.tftensor holds {parts.ValueField}, not numbers: the demo model multiplies numbers by 2 and cannot use anything else.");
        }
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

    private static string FormatShape(JsonElement shape) =>
        shape.ValueKind == JsonValueKind.Array ? shape.GetRawText() : "[]";

    /// <summary>The fields of a TensorProto as read: the values are those of the one repeated field that holds any.</summary>
    private sealed class TfTensor
    {
        public JsonElement Dtype { get; set; }

        public JsonElement Shape { get; set; }

        public JsonElement Values { get; set; }

        public string? ValueField { get; set; }

        public TensorValueType ValueType { get; set; } = TensorValueType.NotNumeric;

        public bool HasContent { get; set; }
    }
}
