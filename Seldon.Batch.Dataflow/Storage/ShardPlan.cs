using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>How an input is split between shards: computed once from the input's bytes (so every shard that
/// computes it gets the same plan), published next to the parts, and checked by each shard against the input it sees.</summary>
/// <param name="InputTag">The input's version when planned (ETag, or size and modification time).</param>
/// <param name="InputLength">Decoded bytes of the input.</param>
/// <param name="BatchId">The <c>batch_id</c> every shard uses.</param>
/// <param name="Ranges">One range per shard, in order, joining into the whole input: decoded bytes cut at the starts of
/// lines (of records, for CSV); for a Parquet input, rows (a range's <see cref="ShardRange.Start"/> and
/// <see cref="ShardRange.End"/> are row numbers, as its first line and line count are).</param>
/// <param name="BatchSize">The <c>--batch-size</c> the ranges were cut for: each starts on a multiple of it, so that the
/// shards send the micro-batches one process would send. 0 in a plan of an older version, which cut anywhere.</param>
/// <param name="InputFormat">How the shards read the input (<c>jsonl</c>, <c>csv</c>, <c>parquet</c>), which decides what
/// the ranges count (bytes cut at lines or at records, or rows); null in a plan of an older version, which did not say.</param>
internal sealed record ShardPlan(string InputTag, long InputLength, string BatchId, IReadOnlyList<ShardRange> Ranges, int BatchSize, string? InputFormat = null)
{
    public int Count => Ranges.Count;

    public long Lines => Ranges.Sum(r => r.Lines);

    /// <summary>The plan of <paramref name="count"/> shards next to <paramref name="output"/>.</summary>
    public static StorageLocation LocationOf(StorageLocation output, int count) => output.Append($".parts/plan-of-{count:D5}.json");

    /// <summary>The numbers of shards of the plans published next to <paramref name="output"/> (usually one).</summary>
    public static async Task<IReadOnlyList<int>> CountsPlannedAsync(StorageLocation output, ObjectStore store, CancellationToken ct)
    {
        var names = await SmallObjects.ListAsync(store, output.Append(".parts/plan-of-"), ct).ConfigureAwait(false);
        return [.. names
            .Where(n => n.Length == 10 && n.EndsWith(".json", StringComparison.Ordinal))
            .Select(n => int.TryParse(n.AsSpan(0, 5), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var count) ? count : 0)
            .Where(count => count > 0)];
    }

    /// <summary>Shard <paramref name="index"/>'s part next to <paramref name="output"/>.</summary>
    public static StorageLocation PartOf(StorageLocation output, int index, int count) => output.Append($".parts/part-{index:D5}-of-{count:D5}");

    /// <summary>The summary shard <paramref name="index"/> leaves next to its part, for <c>merge</c>.</summary>
    public static StorageLocation SummaryOf(StorageLocation output, int index, int count) => PartOf(output, index, count).Append(".summary.json");

    /// <summary>A batch id that every shard derives alike from the input's version and the number of shards.</summary>
    public static string DeriveBatchId(string inputTag, long inputLength, int count)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{inputTag}\n{inputLength}\n{count}"));
        return new Guid(hash.AsSpan(0, 16)).ToString();
    }

    /// <summary>Splits the decoded input into <paramref name="count"/> ranges, each cut at the first start of a line
    /// whose number is a multiple of <paramref name="batchSize"/> at or after each of the even cut points, so that micro-batch
    /// k holds lines [k·s, (k+1)·s) in a shard as in one process (a model may answer a row by what shares its request);
    /// shards past the last line get empty ranges. Line counting follows <c>LineReader</c>: lines end at '\n', the last
    /// needs none, and a file of nothing but a byte-order mark has no line.</summary>
    public static async Task<IReadOnlyList<ShardRange>> CutAsync(Stream decoded, long length, int count, int batchSize, CancellationToken ct)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var cuts = new long[count + 1];
        var firsts = new long[count + 1];
        var next = 1;
        long newlines = 0, position = 0;
        var tail = 0L;
        var head = new List<byte>(3);
        var buffer = new byte[1 << 16];
        int read;
        while ((read = await decoded.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            for (var i = 0; i < read; i++)
            {
                if (head.Count < 3 && position + i < 3)
                {
                    head.Add(buffer[i]);
                }

                if (buffer[i] != (byte)'\n')
                {
                    tail++;
                    continue;
                }

                newlines++;
                tail = 0;
                var lineStart = position + i + 1;
                // Line number newlines starts here: a shard may start with it only if it starts a micro-batch.
                while (next < count && newlines % batchSize == 0 && Target(next, length, count) <= lineStart)
                {
                    cuts[next] = lineStart;
                    firsts[next] = newlines;
                    next++;
                }
            }

            position += read;
        }

        if (position != length)
        {
            throw StorageException.Failure($"the input has {position} bytes, not the {length} it had when it was described: did it change?");
        }

        var byteOrderMarkOnly = newlines == 0 && tail == 3 && head is [0xEF, 0xBB, 0xBF];
        var total = newlines + (tail > 0 && !byteOrderMarkOnly ? 1 : 0);
        for (; next <= count; next++)
        {
            cuts[next] = length;
            firsts[next] = total;
        }

        return [.. Enumerable.Range(0, count).Select(k => new ShardRange(cuts[k], cuts[k + 1], firsts[k], firsts[k + 1] - firsts[k]))];
    }

    private static long Target(int k, long length, int count) => (long)((UInt128)(ulong)length * (ulong)k / (ulong)count);

    public byte[] ToJson() => SmallJson.Write(json =>
    {
        json.WriteNumber("shard_count", Count);
        json.WriteString("input_tag", InputTag);
        json.WriteNumber("input_length", InputLength);
        json.WriteString("batch_id", BatchId);
        json.WriteNumber("batch_size", BatchSize);
        if (InputFormat is not null)
        {
            json.WriteString("input_format", InputFormat);
        }

        json.WriteNumber("lines", Lines);
        json.WriteStartArray("ranges");
        foreach (var range in Ranges)
        {
            json.WriteStartObject();
            json.WriteNumber("start", range.Start);
            json.WriteNumber("end", range.End);
            json.WriteNumber("first_line", range.FirstLine);
            json.WriteNumber("lines", range.Lines);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    });

    /// <summary>Reads a published plan; throws a settings <see cref="StorageException"/> naming <paramref name="location"/> when it is not one.</summary>
    public static ShardPlan Parse(ReadOnlyMemory<byte> bytes, StorageLocation location)
    {
        try
        {
            using var doc = JsonDocument.Parse(bytes);
            var root = doc.RootElement;
            var ranges = root.GetProperty("ranges").EnumerateArray()
                .Select(r => new ShardRange(r.GetProperty("start").GetInt64(), r.GetProperty("end").GetInt64(), r.GetProperty("first_line").GetInt64(), r.GetProperty("lines").GetInt64()))
                .ToList();
            // A plan of an older version has no batch size: 0, which no run's batch size matches.
            var batchSize = root.TryGetProperty("batch_size", out var size) ? size.GetInt32() : 0;
            // Nor an input format: null, which any run's format is taken to match (as before the plan recorded it).
            var inputFormat = root.TryGetProperty("input_format", out var format) ? format.GetString() : null;
            return new ShardPlan(
                root.GetProperty("input_tag").GetString()!, root.GetProperty("input_length").GetInt64(), root.GetProperty("batch_id").GetString()!, ranges, batchSize, inputFormat);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw StorageException.Settings($"{location} is not a shard plan ({ex.Message}): delete it to plan again", ex);
        }
    }
}
