namespace Seldon.Batch.Dataflow;

/// <summary>What the start of a CSV file says about all of it: its columns (named by the header, typed from the first
/// rows) and where its rows start. Every shard describes the same file start, so every shard gets the same layout.</summary>
/// <param name="Columns">The header's columns in order, each typed <see cref="long"/>, <see cref="double"/>,
/// <see cref="bool"/> or <see cref="string"/> (see <see cref="CsvTableReader.DescribeAsync(Stream, char, CancellationToken)"/>).</param>
/// <param name="HeaderBytes">Decoded bytes before the first row: a byte-order mark, the header record and its line end
/// (and any blank lines after it that are not rows); the first shard's range starts here. The file's length when it
/// has no rows.</param>
internal sealed record CsvLayout(IReadOnlyList<TableColumn> Columns, long HeaderBytes)
{
    /// <summary>How messages name the file (its path or URL), as <see cref="CsvTableReader.DescribeAsync(Stream, char, string, CancellationToken)"/> was told.</summary>
    public string Source { get; init; } = CsvRecords.UnnamedSource;
}
