namespace Seldon.Batch.Dataflow;

/// <summary>What a <see cref="TableFormat"/> setting means for a given path.</summary>
internal static class TableFormats
{
    /// <summary>The format of <paramref name="path"/> (a file or <c>s3://</c> URL) under <paramref name="setting"/>:
    /// the setting itself unless it is <see cref="TableFormat.Auto"/>, else decided by the name (a <c>.gz</c> ending is
    /// looked through).</summary>
    public static TableFormat Resolve(TableFormat setting, string path)
    {
        if (setting != TableFormat.Auto)
        {
            return setting;
        }

        var name = WithoutGzip(path);
        return name.EndsWith(".parquet", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".pq", StringComparison.OrdinalIgnoreCase) ? TableFormat.Parquet
            : name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? TableFormat.Csv
            : TableFormat.JsonLines;
    }

    /// <summary>The field separator of a CSV <paramref name="path"/>: a tab for <c>.tsv</c> (or <c>.tsv.gz</c>), else a comma.</summary>
    public static char DelimiterOf(string path) => WithoutGzip(path).EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? '\t' : ',';

    /// <summary>Whether a format is a table (CSV or Parquet) rather than JSON lines.</summary>
    public static bool IsTable(this TableFormat format) => format is TableFormat.Csv or TableFormat.Parquet;

    private static string WithoutGzip(string path) =>
        path.EndsWith(".gz", StringComparison.OrdinalIgnoreCase) ? path[..^3] : path;
}
