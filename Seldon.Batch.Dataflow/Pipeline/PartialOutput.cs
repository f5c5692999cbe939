using System.Text.Json;
using Seldon.Batch.Dataflow.Protocol;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>The side file a run writes before it is moved to the output path, and what an interrupted one
/// holds: the longest prefix whose line k is tagged <c>batch_index</c> k with one <c>batch_id</c>.</summary>
internal static class PartialOutput
{
    /// <summary>Where the output is written while the run is not complete.</summary>
    public static string SidePathOf(string outputPath) => outputPath + ".partial";

    /// <summary>Reads the valid prefix of <paramref name="path"/> (a side file, or a complete output): complete lines
    /// (a line cut by a crash is not), each JSON with <c>meta.tags.batch_index</c> equal to its position and the same
    /// <c>batch_id</c>; counts and numbers its error records on the way.</summary>
    public static async Task<ResumePoint> InspectAsync(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        var prefix = new Prefix();
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

    /// <summary>The valid lines seen so far.</summary>
    private sealed class Prefix
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
                // Seldon lines carry the tags in meta.tags, Open Inference lines in parameters.
                var tags = doc.RootElement.ValueKind != JsonValueKind.Object ? default
                    : doc.RootElement.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object
                        && meta.TryGetProperty("tags", out var seldonTags) ? seldonTags
                    : doc.RootElement.TryGetProperty("parameters", out var parameters) ? parameters : default;
                if (tags.ValueKind != JsonValueKind.Object
                    || !tags.TryGetProperty("batch_index", out var position) || !position.TryGetInt64(out var k) || k != _lines
                    || !tags.TryGetProperty("batch_id", out var id) || id.ValueKind != JsonValueKind.String
                    || (_batchId is not null && id.GetString() != _batchId))
                {
                    return false;
                }

                _batchId ??= id.GetString();
                if (FailureOf(doc.RootElement) is { } reason)
                {
                    _failedLines.Add(_lines);
                    var kind = InstanceResult.KindOf(reason);
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

        public ResumePoint ToPoint() => new(_lines, _batchId, _bytes, _failedLines, new SortedDictionary<string, long>(_failuresByKind, StringComparer.Ordinal));

        /// <summary>The reason of an error record (Seldon: <c>status.status</c> 1, as the composer writes them and
        /// <c>jq 'select(.status.status == 1)'</c> finds them; Open Inference: an <c>error</c> object with its <c>msg</c>);
        /// null for a prediction.</summary>
        private static string? FailureOf(JsonElement line)
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

/// <summary>Where an interrupted run can continue, and what the lines before it hold.</summary>
/// <param name="Lines">Valid output lines already written (so input lines to skip).</param>
/// <param name="BatchId">Their <c>batch_id</c>; null when there are none.</param>
/// <param name="Bytes">Length of the valid prefix; anything after it is cut off.</param>
/// <param name="FailedLines">Positions of the error records among them, in order.</param>
/// <param name="FailuresByKind">Those error records by kind of failure.</param>
internal sealed record ResumePoint(long Lines, string? BatchId, long Bytes, IReadOnlyList<long> FailedLines, IReadOnlyDictionary<string, long> FailuresByKind)
{
    /// <summary>Error records among the lines.</summary>
    public long Failed => FailedLines.Count;

    /// <summary>Predictions among the lines.</summary>
    public long Succeeded => Lines - Failed;
}
