using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>What an output was made from, kept next to it so that <c>--resume</c> and <c>--retry-failed</c> can
/// refuse an output that belongs to another input: <c>&lt;output&gt;.partial.json</c> beside the side file while the
/// run is unfinished, <c>&lt;output&gt;.run.json</c> beside the output once it is complete.</summary>
/// <param name="BatchId">The <c>batch_id</c> of every line.</param>
/// <param name="InputPath">The input file as it was given (for messages only: a moved input is still the same input).</param>
/// <param name="Input">The input's fingerprint.</param>
/// <param name="Lines">Lines of the complete output; null while it is unfinished.</param>
internal sealed record RunRecord(string BatchId, string InputPath, InputFingerprint Input, long? Lines)
{
    /// <summary>The record of the side file of <paramref name="outputPath"/>.</summary>
    public static string PartialPathOf(string outputPath) => outputPath + ".partial.json";

    /// <summary>The record of the complete output <paramref name="outputPath"/>.</summary>
    public static string CompletePathOf(string outputPath) => outputPath + ".run.json";

    /// <summary>Reads the record at <paramref name="path"/>; null when there is none or it cannot be read as one
    /// (then the output is checked by its lines alone).</summary>
    public static async Task<RunRecord?> ReadAsync(string path, CancellationToken ct)
    {
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(await File.ReadAllTextAsync(path, ct).ConfigureAwait(false)) is JsonObject json
                && json["batch_id"] is JsonValue batchId && batchId.TryGetValue<string>(out var id)
                && json["input"] is JsonObject input
                && input["path"] is JsonValue inputPath && inputPath.TryGetValue<string>(out var p)
                && input["size"] is JsonValue inputSize && inputSize.TryGetValue<long>(out var size)
                && input["head_tail_sha256"] is JsonValue inputHash && inputHash.TryGetValue<string>(out var hash)
                ? new RunRecord(id, p, new InputFingerprint(size, hash), json["lines"] is JsonValue lines && lines.TryGetValue<long>(out var n) ? n : null)
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>Writes the record to <paramref name="path"/> whole or not at all (a temporary file moved into place).</summary>
    public async Task WriteAsync(string path, CancellationToken ct)
    {
        var json = new JsonObject
        {
            ["batch_id"] = BatchId,
            ["input"] = new JsonObject
            {
                ["path"] = InputPath,
                ["size"] = Input.Size,
                ["head_tail_sha256"] = Input.HeadTailSha256,
            },
            ["lines"] = Lines,
        };
        var temporary = path + ".tmp";
        await File.WriteAllTextAsync(temporary, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", ct).ConfigureAwait(false);
        File.Move(temporary, path, overwrite: true);
    }
}
