namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>The tag names that let every output be matched to its input line.</summary>
internal static class BatchTags
{
    public const string BatchId = "batch_id";
    public const string BatchIndex = "batch_index";
    public const string BatchInstanceId = "batch_instance_id";
}
