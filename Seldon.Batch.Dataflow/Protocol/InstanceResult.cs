namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>The output line for one input line.</summary>
/// <param name="Index">The input line's 0-based position.</param>
/// <param name="Line">The JSON output line (a prediction or an error record), without line terminator.</param>
/// <param name="Failure">Null for a prediction; for an error record, its reason.</param>
public readonly record struct InstanceResult(long Index, string Line, string? Failure)
{
    /// <summary>Whether the line holds the model's answer rather than an error record.</summary>
    public bool Succeeded => Failure is null;
}
