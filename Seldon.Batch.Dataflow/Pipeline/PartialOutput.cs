using System.Text.Json;
using Seldon.Batch.Dataflow.Storage;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>What an interrupted run's side file holds: the longest prefix whose line k is tagged <c>batch_index</c>
/// <c>firstIndex</c> + k with one <c>batch_id</c>.</summary>
internal static class PartialOutput
{
    /// <summary>Reads the valid prefix of <paramref name="stream"/> from its start: complete lines (a line cut by a
    /// crash is not), each JSON with <c>meta.tags.batch_index</c> equal to <paramref name="firstIndex"/> plus its
    /// position and the same <c>batch_id</c>.</summary>
    public static async Task<WrittenPrefix> InspectAsync(Stream stream, long firstIndex, CancellationToken ct)
    {
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
                if (!IsLine(line.GetBuffer().AsSpan(0, (int)line.Length), firstIndex + lines, ref batchId))
                {
                    return new WrittenPrefix(lines, batchId, validBytes);
                }

                lines++;
                validBytes = offset + i + 1;
                line.SetLength(0);
            }

            line.Write(buffer, start, read - start);
            offset += read;
        }

        return new WrittenPrefix(lines, batchId, validBytes);
    }

    private static bool IsLine(ReadOnlySpan<byte> json, long index, ref string? batchId)
    {
        if (TagsOf(json.ToArray()) is not { } tags || tags.Index != index)
        {
            return false;
        }

        batchId ??= tags.BatchId;
        return tags.BatchId == batchId;
    }

    /// <summary>The <c>batch_index</c> and <c>batch_id</c> an output line is tagged with; null when it has none.</summary>
    public static (long Index, string BatchId)? TagsOf(ReadOnlyMemory<byte> line)
    {
        try
        {
            using var doc = JsonDocument.Parse(line);
            return doc.RootElement.TryGetProperty("meta", out var meta) && meta.ValueKind == JsonValueKind.Object
                && meta.TryGetProperty("tags", out var tags) && tags.ValueKind == JsonValueKind.Object
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
}
