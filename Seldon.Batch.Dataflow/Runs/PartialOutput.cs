using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>The side file a run writes before it is moved to the output path, and what an interrupted one
/// holds: the longest prefix whose line k is tagged <c>batch_index</c> <c>firstIndex</c> + k with one <c>batch_id</c>
/// (<c>firstIndex</c> is 0 for a whole run, a shard's first global line for its part).</summary>
internal static class PartialOutput
{
    /// <summary>Where the output is written while the run is not complete.</summary>
    public static string SidePathOf(string outputPath) => LocalOutputTarget.SidePathOf(outputPath);

    /// <summary>Reads the valid prefix of the file <paramref name="path"/> (see the other overload).</summary>
    public static async Task<WrittenPrefix> InspectAsync(string path, long firstIndex, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        return await InspectAsync(stream, firstIndex, ct).ConfigureAwait(false);
    }

    /// <summary>Reads the valid prefix of <paramref name="stream"/> from its start (a side file, or a complete output):
    /// complete lines (a line cut by a crash is not), each JSON with <c>meta.tags.batch_index</c> equal to
    /// <paramref name="firstIndex"/> plus its position and the same <c>batch_id</c>; counts and numbers its error
    /// records on the way (positions from the stream's start).</summary>
    public static async Task<WrittenPrefix> InspectAsync(Stream stream, long firstIndex, CancellationToken ct)
    {
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        var prefix = new Prefix(firstIndex);
        long offset = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
        {
            var start = 0;
            for (var i = 0; i < read; i++)
            {
                if (buffer[i] != (byte)'\n')
                {
                    continue;
                }

                line.Write(buffer, start, i - start);
                start = i + 1;
                if (!prefix.TryAdd(line.GetBuffer().AsSpan(0, (int)line.Length), offset + i + 1))
                {
                    return prefix.ToPoint();
                }

                line.SetLength(0);
            }

            line.Write(buffer, start, read - start);
            offset += read;
        }

        return prefix.ToPoint();
    }

    /// <summary>The <c>batch_index</c> and <c>batch_id</c> an output line is tagged with (Seldon: in
    /// <c>meta.tags</c>; Open Inference: in <c>parameters</c>); null when it has none.</summary>
    public static (long Index, string BatchId)? TagsOf(ReadOnlyMemory<byte> line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return Prefix.TagsOf(doc.RootElement) is { } tags
                && tags.TryGetProperty("batch_index", out var index) && index.TryGetInt64(out var k)
                && tags.TryGetProperty("batch_id", out var id) && id.ValueKind == JsonValueKind.String
                ? (k, id.GetString()!)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Error records among the complete lines of <paramref name="chunk"/>, by kind of failure (a multipart
    /// upload's checkpoint keeps them per part, since its parts cannot be read back before the upload completes).</summary>
    public static IReadOnlyDictionary<string, long> FailuresIn(ReadOnlyMemory<byte> chunk)
    {
        var byKind = new SortedDictionary<string, long>(StringComparer.Ordinal);
        foreach (var range in chunk.Span.Split((byte)'\n'))
        {
            // Only a line holding a "status" (Seldon) or an "error" (Open Inference) object can be an error record:
            // predictions, nearly every line, are not parsed a second time.
            var line = chunk[range];
            if (line.Span.IndexOf("\"status\""u8) < 0 && line.Span.IndexOf("\"error\""u8) < 0)
            {
                continue;
            }

            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind == JsonValueKind.Object && Prefix.FailureOf(doc.RootElement) is { } reason)
                {
                    var kind = LineFailure.CategoryOf(reason);
                    byKind[kind] = byKind.GetValueOrDefault(kind) + 1;
                }
            }
            catch (JsonException)
            {
                // Not an output line: nothing to count (the prefix check is the side file's business).
            }
        }

        return byKind;
    }

    /// <summary>The valid lines seen so far.</summary>
    private sealed class Prefix(long firstIndex)
    {
        private readonly Dictionary<string, long> _failuresByKind = new(StringComparer.Ordinal);
        private readonly List<long> _failedLines = [];
        private long _lines;
        private long _bytes;
        private string? _batchId;

        public bool TryAdd(ReadOnlySpan<byte> json, long endOffset)
        {
            try
            {
                using var doc = JsonDocument.Parse(json.ToArray());
                if (TagsOf(doc.RootElement) is not { } tags
                    || !tags.TryGetProperty("batch_index", out var position) || !position.TryGetInt64(out var k) || k != firstIndex + _lines
                    || !tags.TryGetProperty("batch_id", out var id) || id.ValueKind != JsonValueKind.String
                    || (_batchId is not null && id.GetString() != _batchId))
                {
                    return false;
                }

                _batchId ??= id.GetString();
                if (FailureOf(doc.RootElement) is { } reason)
                {
                    _failedLines.Add(_lines);
                    var kind = LineFailure.CategoryOf(reason);
                    _failuresByKind[kind] = _failuresByKind.GetValueOrDefault(kind) + 1;
                }

                _lines++;
                _bytes = endOffset;
                return true;
            }
            catch (JsonException)
            {
                return false;
            }
        }

        /// <summary>Where a line keeps its tags: Seldon lines in meta.tags, Open Inference lines in parameters.</summary>
        public static JsonElement? TagsOf(JsonElement line)
        {
            var tags = line.ValueKind != JsonValueKind.Object ? default
                : line.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object
                    && meta.TryGetProperty("tags", out var seldonTags) ? seldonTags
                : line.TryGetProperty("parameters", out var parameters) ? parameters : default;
            return tags.ValueKind == JsonValueKind.Object ? tags : null;
        }

        public WrittenPrefix ToPoint() => new(_lines, _batchId, _bytes, _failedLines, new SortedDictionary<string, long>(_failuresByKind, StringComparer.Ordinal));

        /// <summary>The reason of an error record (Seldon: <c>status.status</c> 1, as the composer writes them and
        /// <c>jq 'select(.status.status == 1)'</c> finds them; Open Inference: an <c>error</c> object with its <c>msg</c>);
        /// null for a prediction.</summary>
        public static string? FailureOf(JsonElement line)
        {
            if (line.TryGetProperty("status", out var status) && status.ValueKind == JsonValueKind.Object
                && status.TryGetProperty("status", out var flag) && flag.ValueKind == JsonValueKind.Number && flag.TryGetInt32(out var f) && f == 1)
            {
                return status.TryGetProperty("reason", out var reason) && reason.ValueKind == JsonValueKind.String ? reason.GetString()! : "unknown failure";
            }

            if (line.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
            {
                return error.TryGetProperty("msg", out var msg) && msg.ValueKind == JsonValueKind.String ? msg.GetString()! : "unknown failure";
            }

            return null;
        }
    }
}
