using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Inference.Grpc;

namespace Seldon.Batch.Dataflow;

/// <summary>The Open Inference Protocol's JSON ⇄ protobuf at the gRPC edge. Requests: numbers and booleans travel as
/// <c>raw_input_contents</c> (little-endian, the compact form every V2 server reads), BYTES as typed
/// <c>bytes_contents</c> (MLServer 1.5 fails on raw BYTES). Answers are read raw or typed, whichever the server chose,
/// and written as the JSON a REST server gives (flat data, parameters as plain values).</summary>
internal static partial class OpenInferenceProtoJson
{
    /// <summary>The protobuf request for the JSON InferenceRequest <paramref name="json"/>; throws
    /// <see cref="FormatException"/> for a request that cannot be carried.</summary>
    public static ModelInferRequest ToRequest(string json, string model, string version)
    {
        using var document = JsonDocument.Parse(json, SeldonJson.DocumentOptions);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException("an InferenceRequest is a JSON object");
        }

        var request = new ModelInferRequest { ModelName = model, ModelVersion = version };
        if (root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String)
        {
            request.Id = id.GetString();
        }

        if (root.TryGetProperty("parameters", out var parameters))
        {
            AddParameters(parameters, request.Parameters);
        }

        var raw = new List<ByteString>();
        foreach (var input in Array(root, "inputs"))
        {
            request.Inputs.Add(ToInput(input, raw));
        }

        foreach (var output in Array(root, "outputs"))
        {
            var requested = new ModelInferRequest.Types.InferRequestedOutputTensor { Name = Text(output, "name") };
            if (output.TryGetProperty("parameters", out var outputParameters))
            {
                AddParameters(outputParameters, requested.Parameters);
            }

            request.Outputs.Add(requested);
        }

        request.RawInputContents.AddRange(raw);
        return request;
    }

    /// <summary>One input tensor of the request; its numbers or booleans go to <paramref name="raw"/> (the request's
    /// <c>raw_input_contents</c>, one entry per such input), BYTES into the tensor's contents.</summary>
    private static ModelInferRequest.Types.InferInputTensor ToInput(JsonElement input, List<ByteString> raw)
    {
        var tensor = new ModelInferRequest.Types.InferInputTensor
        {
            Name = Text(input, "name"),
            Datatype = Text(input, "datatype"),
        };
        foreach (var dimension in Array(input, "shape"))
        {
            tensor.Shape.Add(dimension.GetInt64());
        }

        if (input.TryGetProperty("parameters", out var inputParameters))
        {
            AddParameters(inputParameters, tensor.Parameters);
        }

        var values = new List<JsonElement>();
        if (input.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Array)
        {
            LineTensor.Flatten(data, values);
        }

        if (tensor.Datatype == TensorDatatype.Bytes)
        {
            tensor.Contents = new InferTensorContents();
            tensor.Contents.BytesContents.AddRange(values.Select(v => ByteString.CopyFromUtf8(v.GetString() ?? "")));
        }
        else
        {
            raw.Add(ByteString.CopyFrom(RawValues(tensor.Datatype, values)));
        }

        return tensor;
    }

    /// <summary>The JSON InferenceResponse of <paramref name="response"/>, as a REST server writes it.</summary>
    public static string FromResponse(ModelInferResponse response) => Encoding.UTF8.GetString(FromResponseUtf8(response));

    /// <summary>The UTF-8 bytes of <see cref="FromResponse"/>'s JSON, as the writer writes them (no string made of them).</summary>
    public static byte[] FromResponseUtf8(ModelInferResponse response) => SeldonJson.WriteUtf8Object(response, WriteResponse);

    private static void WriteResponse(Utf8JsonWriter w, ModelInferResponse r)
    {
        WriteAnswerHead(w, r.ModelName, r.ModelVersion, r.Id);
        if (r.Parameters.Count > 0)
        {
            WriteParameters(w, r.Parameters);
        }

        w.WriteStartArray("outputs");
        var nextRaw = 0;
        foreach (var output in r.Outputs)
        {
            WriteOutputHead(w, output.Name, output.Shape, output.Datatype);
            if (output.Parameters.Count > 0)
            {
                WriteParameters(w, output.Parameters);
            }

            w.WriteStartArray("data");
            if (IsEmpty(output.Contents) && nextRaw < r.RawOutputContents.Count)
            {
                WriteRaw(w, output.Datatype, r.RawOutputContents[nextRaw++].Span);
            }
            else
            {
                WriteTyped(w, output.Datatype, output.Contents);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>An answer's model, version and id, as REST servers write them (the empty ones left out but the model). The
    /// direct path from wire bytes writes the same from their UTF-8 bytes.</summary>
    private static void WriteAnswerHead(Utf8JsonWriter w, string model, string version, string id)
    {
        w.WriteString("model_name", model);
        if (version.Length > 0)
        {
            w.WriteString("model_version", version);
        }

        if (id.Length > 0)
        {
            w.WriteString("id", id);
        }
    }

    /// <summary>Opens an output's object with its name, shape and datatype; its data (and parameters) follow.</summary>
    private static void WriteOutputHead(Utf8JsonWriter w, string name, IEnumerable<long> shape, string datatype)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteStartArray("shape");
        foreach (var dimension in shape)
        {
            w.WriteNumberValue(dimension);
        }

        w.WriteEndArray();
        w.WriteString("datatype", datatype);
    }

    private static IEnumerable<JsonElement> Array(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var array) && array.ValueKind == JsonValueKind.Array ? array.EnumerateArray() : [];

    private static string Text(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString()! : "";

    /// <summary>JSON parameters as InferParameters: booleans, whole numbers, other numbers and strings as themselves,
    /// anything else (objects, arrays) as its JSON text, since the protocol's parameters hold only plain values.</summary>
    private static void AddParameters(JsonElement parameters, Google.Protobuf.Collections.MapField<string, InferParameter> into)
    {
        if (parameters.ValueKind != JsonValueKind.Object)
        {
            return;
        }

        foreach (var property in parameters.EnumerateObject())
        {
            var value = property.Value;
            into[property.Name] = value.ValueKind switch
            {
                JsonValueKind.True or JsonValueKind.False => new InferParameter { BoolParam = value.GetBoolean() },
                JsonValueKind.Number when value.TryGetInt64(out var whole) => new InferParameter { Int64Param = whole },
                JsonValueKind.Number => new InferParameter { DoubleParam = value.GetDouble() },
                JsonValueKind.String => new InferParameter { StringParam = value.GetString() },
                _ => new InferParameter { StringParam = value.GetRawText() },
            };
        }
    }

    private static void WriteParameters(Utf8JsonWriter w, Google.Protobuf.Collections.MapField<string, InferParameter> parameters)
    {
        w.WriteStartObject("parameters");
        foreach (var (name, value) in parameters)
        {
            w.WritePropertyName(name);
            WriteParameter(w, value);
        }

        w.WriteEndObject();
    }

    /// <summary>A parameter's value as JSON: a finite double as Python writes it (the writer throws for one that is not
    /// finite: JSON has no text for it), a string or an unset parameter as a string.</summary>
    private static void WriteParameter(Utf8JsonWriter w, InferParameter value)
    {
        switch (value.ParameterChoiceCase)
        {
            case InferParameter.ParameterChoiceOneofCase.BoolParam: w.WriteBooleanValue(value.BoolParam); break;
            case InferParameter.ParameterChoiceOneofCase.Int64Param: w.WriteNumberValue(value.Int64Param); break;
            case InferParameter.ParameterChoiceOneofCase.Uint64Param: w.WriteNumberValue(value.Uint64Param); break;
            case InferParameter.ParameterChoiceOneofCase.DoubleParam when double.IsFinite(value.DoubleParam):
                PythonFloatText.Write(w, value.DoubleParam);
                break;
            case InferParameter.ParameterChoiceOneofCase.DoubleParam: w.WriteNumberValue(value.DoubleParam); break;
            default: w.WriteStringValue(value.StringParam); break;
        }
    }

    /// <summary>The values of a numeric or boolean tensor, little-endian with no padding.</summary>
    private static byte[] RawValues(string datatype, List<JsonElement> values)
    {
        var size = ElementSize(datatype);
        var bytes = new byte[values.Count * size];
        var span = bytes.AsSpan();
        for (var i = 0; i < values.Count; i++)
        {
            var at = span[(i * size)..];
            var v = values[i];
            switch (datatype)
            {
                case "BOOL": at[0] = v.GetBoolean() ? (byte)1 : (byte)0; break;
                case "INT8": at[0] = (byte)v.GetSByte(); break;
                case "UINT8": at[0] = v.GetByte(); break;
                case "INT16": BinaryPrimitives.WriteInt16LittleEndian(at, v.GetInt16()); break;
                case "UINT16": BinaryPrimitives.WriteUInt16LittleEndian(at, v.GetUInt16()); break;
                case "INT32": BinaryPrimitives.WriteInt32LittleEndian(at, v.GetInt32()); break;
                case "UINT32": BinaryPrimitives.WriteUInt32LittleEndian(at, v.GetUInt32()); break;
                case "INT64": BinaryPrimitives.WriteInt64LittleEndian(at, v.GetInt64()); break;
                case "UINT64": BinaryPrimitives.WriteUInt64LittleEndian(at, v.GetUInt64()); break;
                case "FP16": BinaryPrimitives.WriteHalfLittleEndian(at, (Half)v.GetDouble()); break;
                case "FP32": BinaryPrimitives.WriteSingleLittleEndian(at, (float)v.GetDouble()); break;
                case "FP64": BinaryPrimitives.WriteDoubleLittleEndian(at, v.GetDouble()); break;
                default: throw new FormatException($"'{datatype}' is not a datatype of the protocol");
            }
        }

        return bytes;
    }

    private static int ElementSize(string datatype) =>
        SizeOf(datatype) is var size and > 0 ? size : throw new FormatException($"'{datatype}' is not a datatype of the protocol");

    /// <summary>The bytes of one value of a numeric or boolean datatype; 0 for any other.</summary>
    private static int SizeOf(string datatype) => datatype switch
    {
        "BOOL" or "INT8" or "UINT8" => 1,
        "INT16" or "UINT16" or "FP16" => 2,
        "INT32" or "UINT32" or "FP32" => 4,
        "INT64" or "UINT64" or "FP64" => 8,
        _ => 0,
    };

    private static bool IsEmpty(InferTensorContents? c) => c is null
        || (c.BoolContents.Count == 0 && c.IntContents.Count == 0 && c.Int64Contents.Count == 0 && c.UintContents.Count == 0
            && c.Uint64Contents.Count == 0 && c.Fp32Contents.Count == 0 && c.Fp64Contents.Count == 0 && c.BytesContents.Count == 0);

    private static void WriteRaw(Utf8JsonWriter w, string datatype, ReadOnlySpan<byte> raw)
    {
        if (datatype == TensorDatatype.Bytes)
        {
            // Each element: a 4-byte little-endian length, then the bytes.
            while (raw.Length >= 4)
            {
                var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(raw);
                if (length > raw.Length - 4)
                {
                    throw new FormatException($"a raw BYTES element claims {length} bytes where {raw.Length - 4} remain");
                }

                w.WriteStringValue(Encoding.UTF8.GetString(raw.Slice(4, length)));
                raw = raw[(4 + length)..];
            }

            return;
        }

        var size = ElementSize(datatype);
        if (raw.Length % size != 0)
        {
            throw new FormatException($"raw {datatype} output of {raw.Length} bytes is not a whole number of {size}-byte values");
        }

        for (; raw.Length > 0; raw = raw[size..])
        {
            switch (datatype)
            {
                case "BOOL": w.WriteBooleanValue(raw[0] != 0); break;
                case "INT8": w.WriteNumberValue((sbyte)raw[0]); break;
                case "UINT8": w.WriteNumberValue(raw[0]); break;
                case "INT16": w.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(raw)); break;
                case "UINT16": w.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(raw)); break;
                case "INT32": w.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(raw)); break;
                case "UINT32": w.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(raw)); break;
                case "INT64": w.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(raw)); break;
                case "UINT64": w.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(raw)); break;
                case "FP16": WriteFloat(w, (double)BinaryPrimitives.ReadHalfLittleEndian(raw)); break;
                case "FP32": WriteFloat(w, BinaryPrimitives.ReadSingleLittleEndian(raw)); break;
                default: WriteFloat(w, BinaryPrimitives.ReadDoubleLittleEndian(raw)); break;
            }
        }
    }

    private static void WriteTyped(Utf8JsonWriter w, string datatype, InferTensorContents? c)
    {
        if (c is null)
        {
            return;
        }

        foreach (var v in c.BoolContents) { w.WriteBooleanValue(v); }
        foreach (var v in c.IntContents) { w.WriteNumberValue(v); }
        foreach (var v in c.Int64Contents) { w.WriteNumberValue(v); }
        foreach (var v in c.UintContents) { w.WriteNumberValue(v); }
        foreach (var v in c.Uint64Contents) { w.WriteNumberValue(v); }
        foreach (var v in c.Fp32Contents) { WriteFloat(w, v); }
        foreach (var v in c.Fp64Contents) { WriteFloat(w, v); }
        foreach (var v in c.BytesContents)
        {
            if (datatype == "FP16" && v.Length == 2)
            {
                WriteFloat(w, (double)BinaryPrimitives.ReadHalfLittleEndian(v.Span));
            }
            else
            {
                w.WriteStringValue(v.ToStringUtf8());
            }
        }
    }

    /// <summary>A float as REST servers write it: as Python writes a float (<c>3.0</c>, <see cref="PythonFloatText"/>; an FP32
    /// value widened to the double numpy gives), NaN and infinities (which JSON cannot hold) as null, as MLServer's
    /// NumpyCodec does.</summary>
    private static void WriteFloat(Utf8JsonWriter w, double value)
    {
        if (double.IsFinite(value))
        {
            PythonFloatText.Write(w, value);
        }
        else
        {
            w.WriteNullValue();
        }
    }
}
