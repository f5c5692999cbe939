using System.Runtime.InteropServices;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>The tensor datatypes of the Open Inference Protocol, and which JSON values each accepts.</summary>
internal static class TensorDatatype
{
    public const string Bool = "BOOL";
    public const string Int64 = "INT64";
    public const string Fp64 = "FP64";
    public const string Bytes = "BYTES";

    /// <summary>Every datatype the protocol defines; servers refuse any other name (MLServer with 422).</summary>
    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES",
    };

    public static bool IsFloat(string datatype) => datatype is "FP16" or "FP32" or "FP64";

    public static bool IsInteger(string datatype) => datatype.StartsWith("INT", StringComparison.Ordinal) || datatype.StartsWith("UINT", StringComparison.Ordinal);

    /// <summary>The datatype values call for when nothing else says: INT64 for whole numbers, FP64 when one has a fraction
    /// or exponent, BOOL for booleans, BYTES for strings; null with <paramref name="error"/> for a mix or other values.</summary>
    public static string? Infer(IReadOnlyList<JsonElement> values, out string? error)
    {
        error = null;
        string? found = null;
        foreach (var value in values)
        {
            var kind = value.ValueKind switch
            {
                JsonValueKind.Number => IsWholeLiteral(value) ? Int64 : Fp64,
                JsonValueKind.True or JsonValueKind.False => Bool,
                JsonValueKind.String => Bytes,
                _ => null,
            };
            if (kind is null)
            {
                error = $"{SeldonJson.Describe(value)} is not a tensor value (a number, a boolean or a string)";
                return null;
            }

            if (found is null || (found == Int64 && kind == Fp64))
            {
                found = kind;
            }
            else if (found != kind && !(found == Fp64 && kind == Int64))
            {
                error = $"the values mix {Describe(found)} and {Describe(kind)}: say which with --datatype";
                return null;
            }
        }

        return found ?? Fp64;
    }

    /// <summary>Why <paramref name="value"/> cannot be an element of a <paramref name="datatype"/> tensor; null when it can.</summary>
    public static string? Refuse(string datatype, JsonElement value)
    {
        var fits = datatype switch
        {
            Bytes => value.ValueKind == JsonValueKind.String,
            Bool => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
            _ when IsFloat(datatype) => value.ValueKind == JsonValueKind.Number,
            _ => value.ValueKind == JsonValueKind.Number && IsWholeLiteral(value) && FitsInteger(datatype, value),
        };
        return fits ? null : $"{Quote(value)} is not a {datatype} value";
    }

    private static bool FitsInteger(string datatype, JsonElement value) => datatype switch
    {
        "UINT64" => value.TryGetUInt64(out _),
        "INT64" => value.TryGetInt64(out _),
        "UINT32" => value.TryGetUInt32(out _),
        "INT32" => value.TryGetInt32(out _),
        "UINT16" => value.TryGetUInt16(out _),
        "INT16" => value.TryGetInt16(out _),
        "UINT8" => value.TryGetByte(out _),
        "INT8" => value.TryGetSByte(out _),
        _ => false,
    };

    // The number's bytes as written, without making a string of them (this runs for every value of every line).
    private static bool IsWholeLiteral(JsonElement number) => JsonMarshal.GetRawUtf8Value(number).IndexOfAny(".eE"u8) < 0;

    private static string Describe(string datatype) => datatype switch
    {
        Bytes => "strings",
        Bool => "booleans",
        _ => "numbers",
    };

    private static string Quote(JsonElement value)
    {
        var text = value.GetRawText();
        return text.Length <= 40 ? text : text[..40] + "…";
    }
}
