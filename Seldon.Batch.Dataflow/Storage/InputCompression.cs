namespace Seldon.Batch.Dataflow;

/// <summary>How the input's bytes are encoded.</summary>
public enum InputCompression
{
    /// <summary>Gzip when the input's name ends in <c>.gz</c>, plain otherwise.</summary>
    Auto,

    /// <summary>Gzip, decoded while it is read.</summary>
    Gzip,

    /// <summary>Plain text.</summary>
    None,
}
