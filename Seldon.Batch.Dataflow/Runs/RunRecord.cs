using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>What an output was made from (the input's fingerprint, the settings that decide its lines), kept next to
/// it so that a rerun, <c>--resume</c> and <c>--retry-failed</c> refuse an output that belongs to another input or
/// other settings: <c>&lt;output&gt;.partial.json</c> beside the side file (or multipart upload) while the run is
/// unfinished, <c>&lt;output&gt;.run.json</c> beside the output once it is complete. The output is a file or an
/// object; a shard's output is its part.</summary>
/// <param name="BatchId">The <c>batch_id</c> of every line.</param>
/// <param name="InputPath">The input file as it was given (for messages only: a moved input is still the same input).</param>
/// <param name="Input">The input's fingerprint.</param>
/// <param name="Lines">Lines of the complete output; null while it is unfinished.</param>
/// <param name="Settings">The settings that decide what the output holds; null in a record of an older version.</param>
/// <param name="Table">How the table is written from these records, when the output is a table; null otherwise.</param>
internal sealed record RunRecord(string BatchId, string InputPath, InputFingerprint Input, long? Lines, RunSettings? Settings = null, TableSettings? Table = null)
{
    /// <summary>The record of the unfinished output <paramref name="output"/>.</summary>
    public static StorageLocation PartialPathOf(StorageLocation output) => output.Append(".partial.json");

    /// <summary>The record of the complete output <paramref name="output"/>.</summary>
    public static StorageLocation CompletePathOf(StorageLocation output) => output.Append(".run.json");

    /// <summary>The record of the side file of the output file <paramref name="outputPath"/>.</summary>
    public static string PartialPathOf(string outputPath) => PartialPathOf(StorageLocation.Parse(outputPath)).ToString();

    /// <summary>The record of the complete output file <paramref name="outputPath"/>.</summary>
    public static string CompletePathOf(string outputPath) => CompletePathOf(StorageLocation.Parse(outputPath)).ToString();

    /// <summary>Reads the record at <paramref name="location"/>; null when there is none or it cannot be read as one
    /// (then the output is checked by its lines alone).</summary>
    public static async Task<RunRecord?> ReadAsync(ObjectStore store, StorageLocation location, CancellationToken ct)
    {
        if (await SmallObjects.ReadAsync(store, location, ct).ConfigureAwait(false) is not { } bytes)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(bytes) is JsonObject json
                && json["batch_id"] is JsonValue batchId && batchId.TryGetValue<string>(out var id)
                && json["input"] is JsonObject input
                && input["path"] is JsonValue inputPath && inputPath.TryGetValue<string>(out var p)
                && input["size"] is JsonValue inputSize && inputSize.TryGetValue<long>(out var size)
                && FingerprintOf(input, size) is { } fingerprint
                ? new RunRecord(
                    id, p, fingerprint, json["lines"] is JsonValue lines && lines.TryGetValue<long>(out var n) ? n : null, RunSettings.FromJson(json["settings"]), TableSettings.FromJson(json["table"]))
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The fingerprint recorded under the first name it has (an older version's head-and-tail hash too).</summary>
    private static InputFingerprint? FingerprintOf(JsonObject input, long size) =>
        InputFingerprint.Kinds
            .Select(kind => input[kind] is JsonValue value && value.TryGetValue<string>(out var text) ? new InputFingerprint(size, kind, text) : null)
            .FirstOrDefault(f => f is not null);

    /// <summary>Writes the record to <paramref name="location"/> whole or not at all (a temporary file moved into
    /// place, or one PUT).</summary>
    public async Task WriteAsync(ObjectStore store, StorageLocation location, CancellationToken ct)
    {
        var input = new JsonObject { ["path"] = InputPath, ["size"] = Input.Size, [Input.Kind] = Input.Value };
        var json = new JsonObject { ["batch_id"] = BatchId, ["input"] = input, ["lines"] = Lines };
        if (Settings is not null)
        {
            json["settings"] = Settings.ToJson();
        }

        if (Table is not null)
        {
            json["table"] = Table.ToJson();
        }

        var text = json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";
        await SmallObjects.WriteAsync(store, location, Encoding.UTF8.GetBytes(text), ct).ConfigureAwait(false);
    }
}
