namespace Seldon.Batch.Dataflow;

/// <summary>The hold on a stream output (<c>-o -</c>): none is needed, since nothing next to it is kept or published, and
/// each process has its own.</summary>
internal sealed class StreamOutputLock(StorageLocation output) : OutputLock(output)
{
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
