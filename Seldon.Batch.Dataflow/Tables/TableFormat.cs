namespace Seldon.Batch.Dataflow;

/// <summary>How an input is read or an output written (<c>--input-format</c>, <c>--output-format</c>).</summary>
public enum TableFormat
{
    /// <summary>By the path's name: <c>.parquet</c> or <c>.pq</c> is Parquet; <c>.csv</c> or <c>.tsv</c> (either also
    /// with <c>.gz</c>) is CSV, tab-separated for <c>.tsv</c>; anything else is JSON lines.</summary>
    Auto,

    /// <summary>One JSON document per line: each input line is the model's input as it is, each output line the model's
    /// answer (or an error record) tagged with its line.</summary>
    JsonLines,

    /// <summary>Comma-separated values (RFC 4180) with a header row; tab-separated when the name ends in <c>.tsv</c>.</summary>
    Csv,

    /// <summary>Apache Parquet, read and written by row groups.</summary>
    Parquet,
}
