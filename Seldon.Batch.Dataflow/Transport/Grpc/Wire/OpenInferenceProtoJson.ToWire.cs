using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using static Seldon.Batch.Dataflow.SeldonProtoJson;

namespace Seldon.Batch.Dataflow;

/// <summary>The direct path from an InferenceRequest's JSON text to the wire bytes of a <c>ModelInferRequest</c>
/// (field numbers in <c>protos/inference/grpc_service.proto</c>). <see cref="ToRequest"/> parses a document and builds
/// message objects, a list of elements and a byte array per tensor: at batch size 32 that was a tenth of a V2 gRPC
/// run's CPU. This path reads the text once with a <see cref="Utf8JsonReader"/> and writes the bytes
/// <see cref="ToRequest"/>'s message serializes to. It takes only what the encoder writes (known properties, each once;
/// scalar parameters; data of plain values that fit the datatype) and hands anything else, whole, to
/// <see cref="ToRequest"/>, which gives the error messages; a property test holds the two paths to the same bytes.</summary>
internal static partial class OpenInferenceProtoJson
{
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = SeldonJson.DocumentOptions.MaxDepth };

    /// <summary>The protobuf bytes of the request for the JSON InferenceRequest <paramref name="json"/>; throws as
    /// <see cref="ToRequest"/> does.</summary>
    public static byte[] ToWire(string json, string model, string version) =>
        TryToWireDirect(json, model, version) ?? ToRequest(json, model, version).ToByteArray();

    /// <summary>The protobuf bytes of the request for <paramref name="request"/>'s InferenceRequest, read from its UTF-8
    /// body as it is: by the compact path when the body is as the encoder writes it (<see cref="TryToWireCompact"/>), else
    /// by the direct one (its text made only for <see cref="ToRequest"/>, when neither takes it); throws as
    /// <see cref="ToWire(string, string, string)"/> does.</summary>
    public static byte[] ToWire(PredictionRequest request, string model, string version) =>
        TryToWireCompact(request.Utf8Body, model, version) ?? TryToWireDirect(request.Utf8Body, model, version)
        ?? ToRequest(request.Body, model, version).ToByteArray();

    /// <summary>The bytes, or null when the text is not of the plain shape this path handles. Each section is read where
    /// it stands in the text, from a copy of the reader kept when it was passed over, so that the bytes come in field
    /// order whatever the order of the properties.</summary>
    internal static byte[]? TryToWireDirect(string json, string model, string version)
    {
        var utf8 = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(json.Length));
        try
        {
            return TryToWireDirect(utf8.AsSpan(0, Encoding.UTF8.GetBytes(json, utf8)), model, version);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(utf8);
        }
    }

    /// <summary>As <see cref="TryToWireDirect(string, string, string)"/>, from the text's UTF-8 bytes (a request's body as
    /// the encoders write it).</summary>
    internal static byte[]? TryToWireDirect(ReadOnlySpan<byte> json, string model, string version)
    {
        var wire = new WireWriter(json.Length + 256);
        var tensors = new WireWriter(json.Length + 64);
        var raw = new WireWriter(json.Length + 64);
        try
        {
            var reader = new Utf8JsonReader(json, ReaderOptions);
            var sections = default(RequestSections);
            return reader.Read() && reader.TokenType == JsonTokenType.StartObject
                && ReadRequest(ref reader, ref sections, tensors, raw)
                && WriteRequest(ref sections, wire, model, version, tensors, raw)
                ? wire.ToArray()
                : null;
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Invalid JSON, or a string the reader cannot unescape: ToRequest reports it.
            return null;
        }
        finally
        {
            wire.Dispose();
            tensors.Dispose();
            raw.Dispose();
        }
    }

    /// <summary>Where a request's sections stand in the text (a copy of the reader on each), and which came
    /// (<see cref="Seen"/>: inputs 1, outputs 2, id 4, parameters 8).</summary>
    private ref struct RequestSections
    {
        public Utf8JsonReader Id;
        public Utf8JsonReader Parameters;
        public Utf8JsonReader Outputs;
        public int Seen;
    }

    /// <summary>Reads the request object's properties to its end: the inputs are written at once (to
    /// <paramref name="tensors"/> and <paramref name="raw"/>), the other sections are kept for
    /// <see cref="WriteRequest"/>. False for anything this path leaves to <see cref="ToRequest"/>.</summary>
    private static bool ReadRequest(ref Utf8JsonReader reader, ref RequestSections sections, WireWriter tensors, WireWriter raw)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var section = reader.ValueTextEquals("inputs"u8) ? 1 : reader.ValueTextEquals("outputs"u8) ? 2
                : reader.ValueTextEquals("id"u8) ? 4 : reader.ValueTextEquals("parameters"u8) ? 8 : 0;
            if (section == 0 || (sections.Seen & section) != 0 || !reader.Read())
            {
                return false; // other properties, and repeated ones (which the library refuses), go to the library
            }

            sections.Seen |= section;
            switch (section)
            {
                case 1:
                    // The inputs, which hold nearly all the bytes, are read once, where they stand.
                    if (!WriteInputs(ref reader, tensors, raw))
                    {
                        return false;
                    }

                    continue;
                case 2: sections.Outputs = reader; break;
                case 4: sections.Id = reader; break;
                default: sections.Parameters = reader; break;
            }

            reader.Skip();
        }

        return reader.TokenType == JsonTokenType.EndObject && !reader.Read();
    }

    /// <summary>The ModelInferRequest's fields in order: model_name = 1, model_version = 2, id = 3, parameters = 4,
    /// inputs = 5 (<paramref name="tensors"/>), outputs = 6, raw_input_contents = 7 (<paramref name="raw"/>).</summary>
    private static bool WriteRequest(ref RequestSections sections, WireWriter wire, string model, string version, WireWriter tensors, WireWriter raw)
    {
        WriteText(wire, 1, model);
        WriteText(wire, 2, version);
        if ((sections.Seen & 4) != 0)
        {
            if (sections.Id.TokenType != JsonTokenType.String)
            {
                return false;
            }

            WriteString(ref sections.Id, wire, 3);
        }

        if ((sections.Seen & 8) != 0 && !WriteParameters(ref sections.Parameters, wire, 4))
        {
            return false;
        }

        wire.Append(tensors);
        if ((sections.Seen & 2) != 0 && !WriteOutputs(ref sections.Outputs, wire))
        {
            return false;
        }

        wire.Append(raw);
        return true;
    }

    // inputs = 5: InferInputTensor { name = 1, datatype = 2, shape = 3 (packed int64), parameters = 4, contents = 5 };
    // numbers and booleans go to raw_input_contents (7), one entry per such input, BYTES to contents.bytes_contents (8).
    private static bool WriteInputs(ref Utf8JsonReader reader, WireWriter wire, WireWriter raw)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false; // ToRequest ignores it, but refuses repeated properties inside it: it decides
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            var input = default(InputSections);
            if (reader.TokenType != JsonTokenType.StartObject || !ReadInput(ref reader, ref input, raw) || !WriteInput(ref input, wire, raw))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Where an input's properties stand in the text, which came (<see cref="Seen"/>: name 1, datatype 2,
    /// shape 4, parameters 8, data 16), and whether its values were <see cref="Written"/> to raw_input_contents already.</summary>
    private ref struct InputSections
    {
        public Utf8JsonReader Name;
        public Utf8JsonReader Datatype;
        public Utf8JsonReader Shape;
        public Utf8JsonReader Parameters;
        public Utf8JsonReader Data;
        public int Seen;
        public bool Written;

        public readonly bool Has(int property) => (Seen & property) != 0;
    }

    /// <summary>Reads an input object's properties to its end. Numeric data after its datatype (as the encoder writes
    /// them) goes to <paramref name="raw"/> at once; the rest is kept for <see cref="WriteInput"/>.</summary>
    private static bool ReadInput(ref Utf8JsonReader reader, ref InputSections input, WireWriter raw)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var property = reader.ValueTextEquals("name"u8) ? 1 : reader.ValueTextEquals("datatype"u8) ? 2
                : reader.ValueTextEquals("shape"u8) ? 4 : reader.ValueTextEquals("parameters"u8) ? 8
                : reader.ValueTextEquals("data"u8) ? 16 : 0;
            if (property == 0 || input.Has(property) || !reader.Read())
            {
                return false;
            }

            input.Seen |= property;
            switch (property)
            {
                case 1: input.Name = reader; break;
                case 2: input.Datatype = reader; break;
                case 4: input.Shape = reader; break;
                case 8: input.Parameters = reader; break;
                default:
                    input.Data = reader;
                    if (input.Has(2) && input.Datatype.TokenType == JsonTokenType.String && reader.TokenType == JsonTokenType.StartArray
                        && !input.Datatype.ValueTextEquals("BYTES"u8))
                    {
                        // The datatype came first (as the encoder writes it): the values go to raw_input_contents now.
                        if (!WriteRawEntry(ref reader, raw, input.Datatype.GetString()!, hasData: true))
                        {
                            return false;
                        }

                        input.Written = true;
                        continue;
                    }

                    break;
            }

            reader.Skip();
        }

        // Names and datatypes other than strings, shapes and data other than arrays: ToRequest decides.
        return (!input.Has(1) || input.Name.TokenType == JsonTokenType.String)
            && (!input.Has(2) || input.Datatype.TokenType == JsonTokenType.String)
            && (!input.Has(4) || input.Shape.TokenType == JsonTokenType.StartArray)
            && (!input.Has(16) || input.Data.TokenType == JsonTokenType.StartArray);
    }

    /// <summary>One InferInputTensor (5) and, unless already <see cref="InputSections.Written"/>, its values: BYTES in
    /// its contents, numbers and booleans as a raw_input_contents entry.</summary>
    private static bool WriteInput(ref InputSections input, WireWriter wire, WireWriter raw)
    {
        var type = input.Has(2) ? input.Datatype.GetString()! : "";
        var tensor = wire.Begin(5);
        if (input.Has(1))
        {
            WriteString(ref input.Name, wire, 1);
        }

        WriteText(wire, 2, type);
        if ((input.Has(4) && !WriteShape(ref input.Shape, wire)) || (input.Has(8) && !WriteParameters(ref input.Parameters, wire, 4)))
        {
            return false;
        }

        var hasData = input.Has(16);
        if (type == TensorDatatype.Bytes)
        {
            var contents = wire.Begin(5);
            if (hasData && !WriteTexts(ref input.Data, wire))
            {
                return false;
            }

            wire.End(contents);
        }
        else if (!input.Written && !WriteRawEntry(ref input.Data, raw, type, hasData))
        {
            return false;
        }

        wire.End(tensor);
        return true;
    }

    // shape = 3, packed int64: whole numbers only (ToRequest refuses the rest).
    private static bool WriteShape(ref Utf8JsonReader shape, WireWriter wire)
    {
        var packed = wire.Begin(3);
        while (shape.Read() && shape.TokenType != JsonTokenType.EndArray)
        {
            if (shape.TokenType != JsonTokenType.Number || !shape.TryGetInt64(out var dimension))
            {
                return false;
            }

            wire.Varint((ulong)dimension);
        }

        wire.EndOrDrop(packed);
        return true;
    }

    // One raw_input_contents (7) entry: the values of the (nested) array the reader is on, if <paramref name="hasData"/>.
    private static bool WriteRawEntry(ref Utf8JsonReader reader, WireWriter raw, string datatype, bool hasData)
    {
        var size = SizeOf(datatype);
        if (size == 0)
        {
            return false;
        }

        var values = raw.Begin(7);
        if (hasData && !WriteRaw(ref reader, raw, datatype, size))
        {
            return false;
        }

        raw.End(values);
        return true;
    }

    // The values of a (nested) array as bytes_contents (8) of the tensor's contents: strings, or null as an empty one.
    private static bool WriteTexts(ref Utf8JsonReader reader, WireWriter wire)
    {
        for (var depth = 1; depth > 0 && reader.Read();)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray: depth++; break;
                case JsonTokenType.EndArray: depth--; break;
                case JsonTokenType.String: WriteString(ref reader, wire, 8, always: true); break;
                case JsonTokenType.Null: wire.Bytes(8, []); break;
                default: return false;
            }
        }

        return true;
    }

    // The values of a (nested) array, depth first, little-endian as RawValues writes them.
    private static bool WriteRaw(ref Utf8JsonReader reader, WireWriter raw, string datatype, int size)
    {
        for (var depth = 1; depth > 0 && reader.Read();)
        {
            if (reader.TokenType == JsonTokenType.StartArray)
            {
                depth++;
                continue;
            }

            if (reader.TokenType == JsonTokenType.EndArray)
            {
                depth--;
                continue;
            }

            var at = raw.Reserve(size);
            if (datatype == "BOOL")
            {
                if (reader.TokenType is not (JsonTokenType.True or JsonTokenType.False))
                {
                    return false;
                }

                at[0] = reader.TokenType == JsonTokenType.True ? (byte)1 : (byte)0;
            }
            else if (reader.TokenType != JsonTokenType.Number || !WriteNumber(ref reader, datatype, at))
            {
                return false;
            }

            raw.Advance(size);
        }

        return true;
    }

    private static bool WriteNumber(ref Utf8JsonReader reader, string datatype, Span<byte> at)
    {
        switch (datatype)
        {
            case "INT8" when reader.TryGetSByte(out var v): at[0] = (byte)v; return true;
            case "UINT8" when reader.TryGetByte(out var v): at[0] = v; return true;
            case "INT16" when reader.TryGetInt16(out var v): BinaryPrimitives.WriteInt16LittleEndian(at, v); return true;
            case "UINT16" when reader.TryGetUInt16(out var v): BinaryPrimitives.WriteUInt16LittleEndian(at, v); return true;
            case "INT32" when reader.TryGetInt32(out var v): BinaryPrimitives.WriteInt32LittleEndian(at, v); return true;
            case "UINT32" when reader.TryGetUInt32(out var v): BinaryPrimitives.WriteUInt32LittleEndian(at, v); return true;
            case "INT64" when reader.TryGetInt64(out var v): BinaryPrimitives.WriteInt64LittleEndian(at, v); return true;
            case "UINT64" when reader.TryGetUInt64(out var v): BinaryPrimitives.WriteUInt64LittleEndian(at, v); return true;
            case "FP16" when ProtoJsonNumbers.TryGetDouble(ref reader, out var v): BinaryPrimitives.WriteHalfLittleEndian(at, (Half)v); return true;
            case "FP32" when ProtoJsonNumbers.TryGetDouble(ref reader, out var v): BinaryPrimitives.WriteSingleLittleEndian(at, (float)v); return true;
            case "FP64" when ProtoJsonNumbers.TryGetDouble(ref reader, out var v): BinaryPrimitives.WriteDoubleLittleEndian(at, v); return true;
            default: return false;
        }
    }

    // outputs = 6: InferRequestedOutputTensor { name = 1, parameters = 2 }.
    private static bool WriteOutputs(ref Utf8JsonReader reader, WireWriter wire)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            Utf8JsonReader name = default, parameters = default;
            var seen = 0;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var property = reader.ValueTextEquals("name"u8) ? 1 : reader.ValueTextEquals("parameters"u8) ? 2 : 0;
                if (property == 0 || (seen & property) != 0 || !reader.Read())
                {
                    return false;
                }

                seen |= property;
                if (property == 1)
                {
                    name = reader;
                }
                else
                {
                    parameters = reader;
                }

                reader.Skip();
            }

            if ((seen & 1) != 0 && name.TokenType != JsonTokenType.String)
            {
                return false;
            }

            var output = wire.Begin(6);
            if ((seen & 1) != 0)
            {
                WriteString(ref name, wire, 1);
            }

            if ((seen & 2) != 0 && !WriteParameters(ref parameters, wire, 2))
            {
                return false;
            }

            wire.End(output);
        }

        return true;
    }

    // map<string, InferParameter> as field <paramref name="field"/>: entries { key = 1, value = 2 }, InferParameter's
    // oneof bool_param = 1, int64_param = 2, string_param = 3, double_param = 4, written even when default. Objects,
    // arrays and nulls (which ToRequest turns into their JSON text) and repeated keys go to the library.
    private static bool WriteParameters(ref Utf8JsonReader reader, WireWriter wire, int field)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false; // ToRequest ignores parameters that are not an object (and refuses repeated properties in them)
        }

        List<string>? keys = null;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            if ((keys ??= []).Contains(key))
            {
                return false;
            }

            keys.Add(key);
            var entry = wire.Begin(field);
            WriteText(wire, 1, key); // Google.Protobuf leaves an empty key out of a map entry
            var value = wire.Begin(2);
            reader.Read();
            switch (reader.TokenType)
            {
                case JsonTokenType.True or JsonTokenType.False:
                    wire.Tag(1, Varint);
                    wire.Varint(reader.TokenType == JsonTokenType.True ? 1UL : 0UL);
                    break;
                case JsonTokenType.Number when reader.TryGetInt64(out var whole):
                    wire.Tag(2, Varint);
                    wire.Varint((ulong)whole);
                    break;
                case JsonTokenType.Number when ProtoJsonNumbers.TryGetDouble(ref reader, out var number):
                    wire.Tag(4, Fixed64);
                    wire.Double(number);
                    break;
                case JsonTokenType.String:
                    WriteString(ref reader, wire, 3, always: true);
                    break;
                default:
                    return false;
            }

            wire.End(value);
            wire.End(entry);
        }

        return true;
    }

    /// <summary>The reader's string as field <paramref name="field"/>, its UTF-8 taken as it is when it has no escapes;
    /// an empty one is left out (proto3) unless <paramref name="always"/> (a member of a oneof).</summary>
    private static void WriteString(ref Utf8JsonReader reader, WireWriter wire, int field, bool always = false)
    {
        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            if (reader.ValueSpan.Length > 0 || always)
            {
                wire.Bytes(field, reader.ValueSpan);
            }
        }
        else
        {
            // An escaped string is never empty once unescaped.
            wire.String(field, reader.GetString()!);
        }
    }

    private static void WriteText(WireWriter wire, int field, string text)
    {
        if (text.Length > 0)
        {
            wire.String(field, text);
        }
    }
}
