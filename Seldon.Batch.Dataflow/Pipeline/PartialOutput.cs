using System.Text.Json;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>The side file a run writes before it is moved to the output path, and what an interrupted one
/// holds: the longest prefix whose line k is tagged <c>batch_index</c> k with one <c>batch_id</c>.</summary>
internal static class PartialOutput
{
    /// <summary>Where the output is written while the run is not complete.</summary>
    public static string SidePathOf(string outputPath) => outputPath + ".partial";

    /// <summary>Reads the valid prefix of <paramref name="path"/>: complete lines (a line cut by a crash is not),
    /// each JSON with <c>meta.tags.batch_index</c> equal to its position and the same <c>batch_id</c>.</summary>
    public static async Task<ResumePoint> InspectAsync(string path, CancellationToken ct)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan | FileOptions.Asynchronous);
        var buffer = new byte[1 << 16];
        var line = new MemoryStream();
        long lines = 0, validBytes = 0, offset = 0;
        string? batchId = null;
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
                if (!IsLine(line.GetBuffer().AsSpan(0, (int)line.Length), lines, ref batchId))
                {
                    return new ResumePoint(lines, batchId, validBytes);
                }

                lines++;
                validBytes = offset + i + 1;
                line.SetLength(0);
            }

            line.Write(buffer, start, read - start);
            offset += read;
        }

        return new ResumePoint(lines, batchId, validBytes);
    }

    private static bool IsLine(ReadOnlySpan<byte> json, long index, ref string? batchId)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            // Seldon lines carry the tags in meta.tags, Open Inference lines in parameters.
            var tags = doc.RootElement.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object
                && meta.TryGetProperty("tags", out var seldonTags) ? seldonTags
                : doc.RootElement.TryGetProperty("parameters", out var parameters) ? parameters : default;
            if (tags.ValueKind != JsonValueKind.Object
                || !tags.TryGetProperty("batch_index", out var position) || !position.TryGetInt64(out var k) || k != index
                || !tags.TryGetProperty("batch_id", out var id) || id.ValueKind != JsonValueKind.String)
            {
                return false;
            }

            batchId ??= id.GetString();
            return id.GetString() == batchId;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>Where an interrupted run can continue.</summary>
/// <param name="Lines">Valid output lines already written (so input lines to skip).</param>
/// <param name="BatchId">Their <c>batch_id</c>; null when there are none.</param>
/// <param name="Bytes">Length of the valid prefix; anything after it is cut off.</param>
internal sealed record ResumePoint(long Lines, string? BatchId, long Bytes);
