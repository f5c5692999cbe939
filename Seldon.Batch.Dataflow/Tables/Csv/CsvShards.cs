namespace Seldon.Batch.Dataflow;

/// <summary>How a CSV input is split between shards: byte ranges of its decoded text that start at row starts (a quoted
/// field may hold line breaks, so a line start is not always a row start), counted in rows, the header aside.</summary>
internal static class CsvShards
{
    /// <summary>Splits the rows of a CSV file into <paramref name="count"/> ranges as <see cref="ShardPlan.CutAsync"/>
    /// splits lines: each range ends where the next starts, the first at <see cref="CsvLayout.HeaderBytes"/> (after the
    /// header) and the last at the end; range k starts at the first row whose number is a multiple of
    /// <paramref name="batchSize"/> and which starts at or after the k-th of the even cut points of the rows' bytes, so
    /// that micro-batch j holds rows [j·s, (j+1)·s) in a shard as in one process; shards past the last row get empty
    /// ranges. <see cref="ShardRange.FirstLine"/> and <see cref="ShardRange.Lines"/> count rows from 0, the header not
    /// counted; each range is read by <see cref="CsvTableReader.Open"/> with <c>atFileStart</c> false.</summary>
    /// <param name="decoded">The file's decoded bytes from its start, read to the end (not disposed).</param>
    /// <param name="length">The decoded length the input was described with; a stream of another length is an input that changed.</param>
    /// <param name="layout">The file's layout (<see cref="CsvTableReader.DescribeAsync(Stream, char, CancellationToken)"/>).</param>
    /// <param name="count">The number of shards.</param>
    /// <param name="batchSize">The micro-batch size the ranges start on multiples of.</param>
    /// <param name="delimiter">The field separator.</param>
    /// <param name="ct">Cancels the reading.</param>
    public static async Task<IReadOnlyList<ShardRange>> CutAsync(
        Stream decoded, long length, CsvLayout layout, int count, int batchSize, char delimiter, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var cuts = new long[count + 1];
        var firsts = new long[count + 1];
        cuts[0] = Math.Min(layout.HeaderBytes, length);
        var next = 1;
        long rows = 0;
        var counted = new CountingStream(decoded);
        await using (var records = CsvRecords.FromFileStart(counted, delimiter, layout.Source))
        {
            if (await records.ReadHeaderAsync(ct).ConfigureAwait(false) is not null)
            {
                while (await records.NextRowAsync(ct).ConfigureAwait(false))
                {
                    // Row number `rows` starts here: a shard may start with it only if it starts a micro-batch.
                    var start = records.RecordStart;
                    while (next < count && rows % batchSize == 0 && Target(next, cuts[0], length, count) <= start)
                    {
                        cuts[next] = start;
                        firsts[next] = rows;
                        next++;
                    }

                    rows++;
                }
            }
        }

        if (counted.BytesRead != length)
        {
            throw StorageException.Failure($"the input has {counted.BytesRead} bytes, not the {length} it had when it was described: did it change?");
        }

        for (; next <= count; next++)
        {
            cuts[next] = length;
            firsts[next] = rows;
        }

        return [.. Enumerable.Range(0, count).Select(k => new ShardRange(cuts[k], cuts[k + 1], firsts[k], firsts[k + 1] - firsts[k]))];
    }

    /// <summary>The k-th of the even cut points of the rows' bytes [<paramref name="start"/>, <paramref name="length"/>).</summary>
    private static long Target(int k, long start, long length, int count) =>
        start + (long)((UInt128)(ulong)Math.Max(0, length - start) * (ulong)k / (ulong)count);
}
