using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>The tag names that let every output be matched to its input line.</summary>
internal static class BatchTags
{
    public const string BatchId = "batch_id";
    public const string BatchIndex = "batch_index";
    public const string BatchInstanceId = "batch_instance_id";

    // The names escaped once, for the writers of output lines (one write of each per line).
    public static readonly JsonEncodedText BatchIdName = JsonEncodedText.Encode(BatchId);
    public static readonly JsonEncodedText BatchIndexName = JsonEncodedText.Encode(BatchIndex);
    public static readonly JsonEncodedText BatchInstanceIdName = JsonEncodedText.Encode(BatchInstanceId);
}
