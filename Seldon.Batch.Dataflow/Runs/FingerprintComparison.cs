namespace Seldon.Batch.Dataflow;

/// <summary>What comparing an input's fingerprint with a recorded one tells.</summary>
internal enum FingerprintComparison
{
    /// <summary>The same input.</summary>
    Same,

    /// <summary>Another input.</summary>
    Different,

    /// <summary>The fingerprints cannot be compared (an older version's record): the line counts decide, with a warning.</summary>
    Unknown,
}
