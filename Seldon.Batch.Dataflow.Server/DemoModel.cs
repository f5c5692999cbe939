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
/// The class is split by job: this file holds the model (the payload dispatch, ndarray, strData, feedback),
/// <c>DemoModel.Validation.cs</c> the checks of a message's structure, <c>DemoModel.Meta.cs</c> the answer's meta,
/// and <c>DemoModel.Tensors.cs</c> the Seldon and TensorFlow tensors.
/// With <c>answerPosition</c> (<see cref="ServeOptions.AnswerPosition"/>) each value of the ndarray or tensor row at
/// position i of the request is answered 2·v + i: the answer then depends on how the client grouped its rows.
/// </remarks>
/// <param name="answerPosition">Whether a row's answer carries its position in the request.</param>
internal sealed partial class DemoModel(bool answerPosition = false)
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
                WriteDoubledData(payload, answer, answerPosition);
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

    private static void WriteDoubledData(JsonElement data, Utf8JsonWriter answer, bool answerPosition)
    {
        var (kind, payload) = ReadDataPayload(data);
        answer.WriteStartObject(Data);
        switch (kind)
        {
            case "ndarray":
                WriteDoubledNdarray(payload, answer, answerPosition);
                break;
            case "tensor":
                WriteDoubledTensor(payload, answer, answerPosition);
                break;
            case "tftensor":
                WriteDoubledTfTensor(payload, answer);
                break;
            default:
                throw new BadDataException("data holds no payload: it needs one of tensor, ndarray or tftensor.");
        }

        answer.WriteEndObject();
    }

    /// <summary>The payload of a DefaultData and its kind (ndarray, tensor or tftensor; null if none), its names checked.</summary>
    private static (string? Kind, JsonElement Payload) ReadDataPayload(JsonElement data)
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

        return (kind, payload);
    }

    private static void WriteDoubledNdarray(JsonElement ndarray, Utf8JsonWriter answer, bool answerPosition)
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
        WriteDoubled(ndarray, answer, path, depth: 0, answerPosition, floats: !AllIntegers(ndarray));
    }

    /// <summary>Whether every number of the array is an integer: numpy then makes an int array, whose doubles stay
    /// integers; one float among them makes the whole array float (<c>[[1.5, 2]]</c> gives <c>[[3.0, 4.0]]</c>).</summary>
    private static bool AllIntegers(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Array => element.EnumerateArray().All(AllIntegers),
        JsonValueKind.Number => element.TryGetInt64(out long integer) && integer is > long.MinValue / 4 and < long.MaxValue / 4,
        _ => true,
    };

    /// <summary>Writes <paramref name="element"/> with its numbers doubled (as floats when <paramref name="floats"/>);
    /// with <paramref name="answerPosition"/> plus the position of the row they are in (the first index of their path:
    /// a scalar row is its own path's first index).</summary>
    private static void WriteDoubled(JsonElement element, Utf8JsonWriter answer, Span<int> path, int depth, bool answerPosition, bool floats)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Array:
                answer.WriteStartArray();
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    path[depth] = index++;
                    WriteDoubled(item, answer, path, depth + 1, answerPosition, floats);
                }

                answer.WriteEndArray();
                break;

            // Integers stay integers, as numpy keeps an int array's type when the real model multiplies it.
            // (A quarter of the range keeps the sum with a position inside it: AllIntegers says float beyond it.)
            case JsonValueKind.Number when !floats && element.TryGetInt64(out long integer):
                answer.WriteNumberValue((integer * 2) + PositionOf(path, depth, answerPosition));
                break;
            case JsonValueKind.Number:
                double doubled = (element.GetDouble() * 2) + PositionOf(path, depth, answerPosition);
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

    /// <summary>What <see cref="ServeOptions.AnswerPosition"/> adds to a number at <paramref name="path"/>: the index of
    /// its row; 0 without it.</summary>
    private static int PositionOf(ReadOnlySpan<int> path, int depth, bool answerPosition) =>
        answerPosition && depth > 0 ? path[0] : 0;

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

    private static string FormatPath(ReadOnlySpan<int> path)
    {
        var text = new StringBuilder();
        foreach (int index in path)
        {
            text.Append('[').Append(index).Append(']');
        }

        return text.ToString();
    }

}
