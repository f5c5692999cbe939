using System.Buffers.Binary;
using System.Text;
using Google.Protobuf;
using Google.Protobuf.Collections;
using Inference.Grpc;

namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>The gRPC side of the Open Inference Protocol as the demo server reads and writes it: typed contents or
/// <c>raw_input_contents</c> in; typed contents out, or raw ones when the request was raw (as MLServer answers).</summary>
internal static class InferenceProto
{
    public static InferenceCall ReadCall(ModelInferRequest request)
    {
        var inputs = new List<InferenceTensor>();
        var nextRaw = 0;
        foreach (var input in request.Inputs)
        {
            if (!InferenceTensor.Datatypes.Contains(input.Datatype))
            {
                throw InferenceFailure.Crashed($"'{input.Datatype}' is not a valid Datatype");
            }

            var contents = input.Contents ?? new InferTensorContents();
            var raw = IsEmpty(contents) && nextRaw < request.RawInputContents.Count ? request.RawInputContents[nextRaw++].Span : default;
            var useRaw = IsEmpty(contents) && request.RawInputContents.Count > 0;
            inputs.Add(new InferenceTensor
            {
                Name = input.Name,
                Datatype = input.Datatype,
                Shape = [.. input.Shape],
                Parameters = ReadParameters(input.Parameters),
                Floats = input.Datatype switch
                {
                    "FP64" => useRaw ? ReadRaw(raw, 8, static b => BinaryPrimitives.ReadDoubleLittleEndian(b)) : [.. contents.Fp64Contents],
                    "FP32" => useRaw ? ReadRaw(raw, 4, static b => (double)BinaryPrimitives.ReadSingleLittleEndian(b)) : [.. contents.Fp32Contents.Select(v => (double)v)],
                    "FP16" => useRaw ? ReadRaw(raw, 2, static b => (double)BinaryPrimitives.ReadHalfLittleEndian(b)) : [.. contents.BytesContents.Select(v => (double)BinaryPrimitives.ReadHalfLittleEndian(v.Span))],
                    _ => [],
                },
                Integers = input.Datatype switch
                {
                    "INT8" => useRaw ? ReadRaw(raw, 1, static b => (long)(sbyte)b[0]) : [.. contents.IntContents.Select(v => (long)v)],
                    "INT16" => useRaw ? ReadRaw(raw, 2, static b => (long)BinaryPrimitives.ReadInt16LittleEndian(b)) : [.. contents.IntContents.Select(v => (long)v)],
                    "INT32" => useRaw ? ReadRaw(raw, 4, static b => (long)BinaryPrimitives.ReadInt32LittleEndian(b)) : [.. contents.IntContents.Select(v => (long)v)],
                    "INT64" => useRaw ? ReadRaw(raw, 8, static b => BinaryPrimitives.ReadInt64LittleEndian(b)) : [.. contents.Int64Contents],
                    "UINT8" => useRaw ? ReadRaw(raw, 1, static b => (long)b[0]) : [.. contents.UintContents.Select(v => (long)v)],
                    "UINT16" => useRaw ? ReadRaw(raw, 2, static b => (long)BinaryPrimitives.ReadUInt16LittleEndian(b)) : [.. contents.UintContents.Select(v => (long)v)],
                    "UINT32" => useRaw ? ReadRaw(raw, 4, static b => (long)BinaryPrimitives.ReadUInt32LittleEndian(b)) : [.. contents.UintContents.Select(v => (long)v)],
                    "UINT64" => useRaw ? ReadRaw(raw, 8, static b => (long)BinaryPrimitives.ReadUInt64LittleEndian(b)) : [.. contents.Uint64Contents.Select(v => (long)v)],
                    _ => [],
                },
                Booleans = input.Datatype == "BOOL" ? (useRaw ? ReadRaw(raw, 1, static b => b[0] != 0) : [.. contents.BoolContents]) : [],
                Texts = input.Datatype == "BYTES" ? (useRaw ? ReadRawTexts(raw) : [.. contents.BytesContents.Select(v => v.ToStringUtf8())]) : [],
            });
        }

        return new InferenceCall
        {
            Id = request.Id,
            Parameters = ReadParameters(request.Parameters),
            Inputs = inputs,
            RequestedOutputs = [.. request.Outputs.Select(o => o.Name)],
            Raw = request.RawInputContents.Count > 0,
        };
    }

    public static ModelInferResponse WriteAnswer(InferenceAnswer answer, bool raw)
    {
        var response = new ModelInferResponse { ModelName = answer.ModelName, ModelVersion = answer.ModelVersion, Id = answer.Id };
        WriteParameters(answer.Parameters, response.Parameters);
        foreach (var output in answer.Outputs)
        {
            var tensor = new ModelInferResponse.Types.InferOutputTensor { Name = output.Name, Datatype = output.Datatype };
            tensor.Shape.AddRange(output.Shape);
            WriteParameters(output.Parameters, tensor.Parameters);
            if (raw)
            {
                response.RawOutputContents.Add(ByteString.CopyFrom(RawBytes(output)));
            }
            else
            {
                tensor.Contents = TypedContents(output);
            }

            response.Outputs.Add(tensor);
        }

        return response;
    }

    private static bool IsEmpty(InferTensorContents c) =>
        c.BoolContents.Count == 0 && c.IntContents.Count == 0 && c.Int64Contents.Count == 0 && c.UintContents.Count == 0
        && c.Uint64Contents.Count == 0 && c.Fp32Contents.Count == 0 && c.Fp64Contents.Count == 0 && c.BytesContents.Count == 0;

    private delegate T ValueReader<T>(ReadOnlySpan<byte> bytes);

    private static T[] ReadRaw<T>(ReadOnlySpan<byte> raw, int size, ValueReader<T> read)
    {
        if (raw.Length % size != 0)
        {
            throw InferenceFailure.Crashed($"raw contents of {raw.Length} bytes are not whole {size}-byte values");
        }

        var values = new T[raw.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = read(raw.Slice(i * size, size));
        }

        return values;
    }

    private static string[] ReadRawTexts(ReadOnlySpan<byte> raw)
    {
        var texts = new List<string>();
        while (raw.Length >= 4)
        {
            var length = (int)BinaryPrimitives.ReadUInt32LittleEndian(raw);
            if (length > raw.Length - 4)
            {
                throw InferenceFailure.Crashed("a raw BYTES element is longer than the contents");
            }

            texts.Add(Encoding.UTF8.GetString(raw.Slice(4, length)));
            raw = raw[(4 + length)..];
        }

        return [.. texts];
    }

    private static byte[] RawBytes(InferenceTensor output)
    {
        using var stream = new MemoryStream();
        Span<byte> buffer = stackalloc byte[8];
        foreach (var v in output.Floats)
        {
            switch (output.Datatype)
            {
                case "FP32": BinaryPrimitives.WriteSingleLittleEndian(buffer, (float)v); stream.Write(buffer[..4]); break;
                case "FP16": BinaryPrimitives.WriteHalfLittleEndian(buffer, (Half)v); stream.Write(buffer[..2]); break;
                default: BinaryPrimitives.WriteDoubleLittleEndian(buffer, v); stream.Write(buffer); break;
            }
        }

        var size = output.Datatype switch { "INT8" or "UINT8" => 1, "INT16" or "UINT16" => 2, "INT32" or "UINT32" => 4, _ => 8 };
        foreach (var v in output.Integers)
        {
            BinaryPrimitives.WriteInt64LittleEndian(buffer, v);
            stream.Write(buffer[..size]);
        }

        foreach (var v in output.Booleans)
        {
            stream.WriteByte(v ? (byte)1 : (byte)0);
        }

        foreach (var v in output.Texts)
        {
            var bytes = Encoding.UTF8.GetBytes(v);
            BinaryPrimitives.WriteInt32LittleEndian(buffer, bytes.Length);
            stream.Write(buffer[..4]);
            stream.Write(bytes);
        }

        return stream.ToArray();
    }

    private static InferTensorContents TypedContents(InferenceTensor output)
    {
        var contents = new InferTensorContents();
        switch (output.Datatype)
        {
            case "FP64": contents.Fp64Contents.AddRange(output.Floats); break;
            case "FP32": contents.Fp32Contents.AddRange(output.Floats.Select(v => (float)v)); break;
            case "FP16": contents.BytesContents.AddRange(output.Floats.Select(v => { var b = new byte[2]; BinaryPrimitives.WriteHalfLittleEndian(b, (Half)v); return ByteString.CopyFrom(b); })); break;
            case "INT64": contents.Int64Contents.AddRange(output.Integers); break;
            case "INT8" or "INT16" or "INT32": contents.IntContents.AddRange(output.Integers.Select(v => (int)v)); break;
            case "UINT64": contents.Uint64Contents.AddRange(output.Integers.Select(v => (ulong)v)); break;
            case "UINT8" or "UINT16" or "UINT32": contents.UintContents.AddRange(output.Integers.Select(v => (uint)v)); break;
            case "BOOL": contents.BoolContents.AddRange(output.Booleans); break;
            default: contents.BytesContents.AddRange(output.Texts.Select(ByteString.CopyFromUtf8)); break;
        }

        return contents;
    }

    private static Dictionary<string, object> ReadParameters(MapField<string, InferParameter> parameters) =>
        parameters.ToDictionary(p => p.Key, p => p.Value.ParameterChoiceCase switch
        {
            InferParameter.ParameterChoiceOneofCase.BoolParam => (object)p.Value.BoolParam,
            InferParameter.ParameterChoiceOneofCase.Int64Param => p.Value.Int64Param,
            InferParameter.ParameterChoiceOneofCase.DoubleParam => p.Value.DoubleParam,
            InferParameter.ParameterChoiceOneofCase.Uint64Param => (long)p.Value.Uint64Param,
            _ => p.Value.StringParam,
        });

    private static void WriteParameters(Dictionary<string, object> parameters, MapField<string, InferParameter> into)
    {
        foreach (var (name, value) in parameters)
        {
            into[name] = value switch
            {
                bool b => new InferParameter { BoolParam = b },
                long l => new InferParameter { Int64Param = l },
                double d => new InferParameter { DoubleParam = d },
                _ => new InferParameter { StringParam = value.ToString() },
            };
        }
    }
}
