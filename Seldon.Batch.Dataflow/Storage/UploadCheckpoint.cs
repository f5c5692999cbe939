using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>The state of an output's multipart upload, stored next to it after every part: enough to continue the
/// upload after the process died (a resumed run skips the lines the uploaded parts hold).</summary>
internal sealed record UploadCheckpoint(string UploadId, string BatchId, IReadOnlyList<UploadedPart> Parts)
{
    public long Lines => Parts.Sum(p => p.Lines);

    public long Bytes => Parts.Sum(p => p.Bytes);

    /// <summary>The error records in the uploaded parts by kind of failure.</summary>
    public IReadOnlyDictionary<string, long> FailuresByKind =>
        Parts.SelectMany(p => p.FailuresByKind).GroupBy(f => f.Key, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(f => f.Value), StringComparer.Ordinal);

    public UploadCheckpoint With(UploadedPart part) => this with { Parts = [.. Parts, part] };

    public byte[] ToJson() => SmallJson.Write(json =>
    {
        json.WriteString("upload_id", UploadId);
        json.WriteString("batch_id", BatchId);
        json.WriteNumber("lines", Lines);
        json.WriteNumber("bytes", Bytes);
        json.WriteStartArray("parts");
        foreach (var part in Parts)
        {
            json.WriteStartObject();
            json.WriteNumber("number", part.Number);
            json.WriteString("etag", part.ETag);
            json.WriteNumber("lines", part.Lines);
            json.WriteNumber("bytes", part.Bytes);
            json.WriteStartObject("failures_by_kind");
            foreach (var (kind, count) in part.FailuresByKind)
            {
                json.WriteNumber(kind, count);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
    });

    /// <summary>Reads a checkpoint; throws <see cref="JsonException"/> or <see cref="KeyNotFoundException"/> when it is not one.</summary>
    public static UploadCheckpoint Parse(ReadOnlyMemory<byte> bytes)
    {
        using var doc = JsonDocument.Parse(bytes);
        var root = doc.RootElement;
        var parts = root.GetProperty("parts").EnumerateArray()
            .Select(p => new UploadedPart(
                p.GetProperty("number").GetInt32(), p.GetProperty("etag").GetString()!, p.GetProperty("lines").GetInt64(), p.GetProperty("bytes").GetInt64(),
                p.TryGetProperty("failures_by_kind", out var failures) ? failures.EnumerateObject().ToDictionary(f => f.Name, f => f.Value.GetInt64(), StringComparer.Ordinal) : []))
            .ToList();
        return new UploadCheckpoint(root.GetProperty("upload_id").GetString()!, root.GetProperty("batch_id").GetString()!, parts);
    }
}

/// <summary>One uploaded part of an output: its number, the ETag S3 gave it, the complete lines and bytes it holds,
/// and its error records by kind (a resumed run's summary counts them).</summary>
internal sealed record UploadedPart(int Number, string ETag, long Lines, long Bytes, IReadOnlyDictionary<string, long> FailuresByKind);
