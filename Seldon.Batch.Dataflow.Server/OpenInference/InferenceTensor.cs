namespace Seldon.Batch.Dataflow.Server.OpenInference;

/// <summary>A tensor of an inference request or answer as the demo server holds it: its values in the one array that
/// suits its datatype (floats, integers, booleans or texts), flat in row-major order.</summary>
internal sealed class InferenceTensor
{
    /// <summary>The datatypes of the protocol; any other name is refused.</summary>
    public static readonly IReadOnlySet<string> Datatypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES",
    };

    public required string Name { get; init; }

    public required string Datatype { get; init; }

    public required long[] Shape { get; init; }

    /// <summary>Plain parameter values: bool, long, double or string.</summary>
    public Dictionary<string, object> Parameters { get; init; } = [];

    public double[] Floats { get; init; } = [];

    public long[] Integers { get; init; } = [];

    public bool[] Booleans { get; init; } = [];

    public string[] Texts { get; init; } = [];

    public bool IsFloat => Datatype.StartsWith("FP", StringComparison.Ordinal);

    public bool IsText => Datatype == "BYTES";

    public bool IsBoolean => Datatype == "BOOL";

    public bool IsInteger => !IsFloat && !IsText && !IsBoolean;

    /// <summary>How many values the tensor holds.</summary>
    public int Count => IsFloat ? Floats.Length : IsText ? Texts.Length : IsBoolean ? Booleans.Length : Integers.Length;

    /// <summary>The number of values the shape calls for.</summary>
    public long ShapeSize => Shape.Aggregate(1L, (a, d) => a * d);
}
