namespace Seldon.Batch.Dataflow;

/// <summary>How each input line is turned into a Seldon message (<c>--data-type</c>).</summary>
public enum DataType
{
    /// <summary>The line is an array sent as <c>data</c> in the chosen <see cref="PayloadType"/>.</summary>
    Data,
    /// <summary>The line is any JSON value, sent as <c>jsonData</c>.</summary>
    Json,
    /// <summary>The line is a JSON string (or bare text), sent as <c>strData</c>.</summary>
    Str,
    /// <summary>The line is a whole Seldon message (or a Feedback message), sent as it is.</summary>
    Raw,
}
