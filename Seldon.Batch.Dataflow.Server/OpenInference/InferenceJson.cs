using System.Text.Encodings.Web;
using System.Text.Json;

namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>The REST (JSON) side of the Open Inference Protocol as the demo server reads and writes it.</summary>
internal static class InferenceJson
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads an InferenceRequest body; throws <see cref="InferenceFailure"/> (422) for one that is not.</summary>
    public static InferenceCall ReadCall(ReadOnlyMemory<byte> body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 64 });
        }
        catch (JsonException exception)
        {
            throw InferenceFailure.Invalid($"Expecting value: {exception.Message}");
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                throw InferenceFailure.Invalid("value is not a valid dict");
            }

            if (!root.TryGetProperty("inputs", out var inputs) || inputs.ValueKind != JsonValueKind.Array)
            {
                throw InferenceFailure.Invalid("inputs: field required");
            }

            return new InferenceCall
            {
                Id = root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : "",
                Parameters = ReadParameters(root),
                Inputs = [.. inputs.EnumerateArray().Select(ReadTensor)],
                RequestedOutputs = root.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Array
                    ? [.. outputs.EnumerateArray().Select(o => o.TryGetProperty("name", out var n) ? n.GetString() ?? "" : "")]
                    : [],
            };
        }
    }

    private static InferenceTensor ReadTensor(JsonElement input)
    {
        if (input.ValueKind != JsonValueKind.Object
            || !input.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String
            || !input.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
            || !input.TryGetProperty("datatype", out var datatype) || datatype.ValueKind != JsonValueKind.String
            || !input.TryGetProperty("data", out var data))
        {
            throw InferenceFailure.Invalid("inputs: an input needs name, shape, datatype and data");
        }

        var type = datatype.GetString()!;
        if (!InferenceTensor.Datatypes.Contains(type))
        {
            throw InferenceFailure.Invalid($"inputs -> datatype: value is not a valid enumeration member; permitted: {string.Join(", ", InferenceTensor.Datatypes)}");
        }

        var values = new List<JsonElement>();
        Flatten(data, values);
        var dims = shape.EnumerateArray().Select(d => d.TryGetInt64(out var v) ? v : throw InferenceFailure.Invalid("inputs -> shape: value is not a valid integer")).ToArray();
        try
        {
            bool isFloat = type.StartsWith("FP", StringComparison.Ordinal), isText = type == "BYTES", isBoolean = type == "BOOL";
            return new InferenceTensor
            {
                Name = name.GetString()!,
                Datatype = type,
                Shape = dims,
                Parameters = ReadParameters(input),
                Floats = isFloat ? [.. values.Select(v => v.GetDouble())] : [],
                Texts = isText ? [.. values.Select(v => v.GetString()!)] : [],
                Booleans = isBoolean ? [.. values.Select(v => v.GetBoolean())] : [],
                Integers = !isFloat && !isText && !isBoolean ? [.. values.Select(v => v.GetInt64())] : [],
            };
        }
        catch (Exception exception) when (exception is InvalidOperationException or FormatException)
        {
            throw InferenceFailure.Invalid($"inputs -> data: a value does not fit datatype {type}");
        }
    }

    private static void Flatten(JsonElement data, List<JsonElement> into)
    {
        if (data.ValueKind != JsonValueKind.Array)
        {
            into.Add(data);
            return;
        }

        foreach (var item in data.EnumerateArray())
        {
            Flatten(item, into);
        }
    }

    private static Dictionary<string, object> ReadParameters(JsonElement owner)
    {
        var parameters = new Dictionary<string, object>();
        if (owner.TryGetProperty("parameters", out var map) && map.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in map.EnumerateObject())
            {
                parameters[p.Name] = p.Value.ValueKind switch
                {
                    JsonValueKind.True or JsonValueKind.False => p.Value.GetBoolean(),
                    JsonValueKind.Number when p.Value.TryGetInt64(out var whole) => whole,
                    JsonValueKind.Number => p.Value.GetDouble(),
                    JsonValueKind.String => p.Value.GetString()!,
                    _ => p.Value.GetRawText(),
                };
            }
        }

        return parameters;
    }

    /// <summary>The answer as MLServer writes it: compact, flat data, no model_version when there is none.</summary>
    public static byte[] WriteAnswer(InferenceAnswer answer) => Write(w =>
    {
        w.WriteString("model_name", answer.ModelName);
        if (answer.ModelVersion.Length > 0)
        {
            w.WriteString("model_version", answer.ModelVersion);
        }

        w.WriteString("id", answer.Id);
        WriteParameters(w, answer.Parameters);
        w.WriteStartArray("outputs");
        foreach (var output in answer.Outputs)
        {
            w.WriteStartObject();
            w.WriteString("name", output.Name);
            w.WriteStartArray("shape");
            foreach (var d in output.Shape)
            {
                w.WriteNumberValue(d);
            }

            w.WriteEndArray();
            w.WriteString("datatype", output.Datatype);
            WriteParameters(w, output.Parameters);
            w.WriteStartArray("data");
            foreach (var v in output.Floats)
            {
                if (double.IsFinite(v))
                {
                    // As MLServer writes a float (Python's json): 3.0, not 3.
                    SeldonJsonNumbers.WriteFloating(w, v);
                }
                else
                {
                    w.WriteNullValue();
                }
            }

            foreach (var v in output.Integers)
            {
                w.WriteNumberValue(v);
            }

            foreach (var v in output.Booleans)
            {
                w.WriteBooleanValue(v);
            }

            foreach (var v in output.Texts)
            {
                w.WriteStringValue(v);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndArray();
    });

    /// <summary>The model's metadata, as MLServer gives what model-settings.json declares.</summary>
    public static byte[] WriteMetadata() => Write(w =>
    {
        w.WriteString("name", OpenInferenceModels.DemoModel);
        w.WriteStartArray("versions");
        w.WriteStringValue(OpenInferenceModels.DemoVersion);
        w.WriteEndArray();
        w.WriteString("platform", "seldon-batch-dataflow-demo");
        foreach (var side in (ReadOnlySpan<string>)["inputs", "outputs"])
        {
            w.WriteStartArray(side);
            w.WriteStartObject();
            w.WriteString("name", OpenInferenceModels.DemoInput);
            w.WriteString("datatype", "FP64");
            w.WriteStartArray("shape");
            w.WriteNumberValue(-1);
            w.WriteNumberValue(-1);
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndArray();
        }
    });

    /// <summary>An error body: <c>{"error": "…"}</c>, or pydantic's <c>{"detail": [...]}</c> for a request that is not valid.</summary>
    public static byte[] WriteError(InferenceFailure failure) => Write(w =>
    {
        if (failure.IsValidation)
        {
            w.WriteStartArray("detail");
            w.WriteStartObject();
            w.WriteStartArray("loc");
            w.WriteStringValue("body");
            w.WriteEndArray();
            w.WriteString("msg", failure.Message);
            w.WriteString("type", "value_error");
            w.WriteEndObject();
            w.WriteEndArray();
        }
        else
        {
            w.WriteString("error", failure.Message);
        }
    });

    private static void WriteParameters(Utf8JsonWriter w, Dictionary<string, object> parameters)
    {
        if (parameters.Count == 0)
        {
            return;
        }

        w.WriteStartObject("parameters");
        foreach (var (name, value) in parameters)
        {
            switch (value)
            {
                case bool b: w.WriteBoolean(name, b); break;
                case long l: w.WriteNumber(name, l); break;
                case double d: w.WriteNumber(name, d); break;
                default: w.WriteString(name, value.ToString()); break;
            }
        }

        w.WriteEndObject();
    }

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        return stream.ToArray();
    }
}
