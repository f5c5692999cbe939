namespace Seldon.Batch.Dataflow;

/// <summary>The reader of a stream output (<c>-o -</c>) closed it (a broken pipe, as after <c>| head -1</c>): nothing
/// more can be written, and the run ends (<see cref="RunOutcome.OutputClosed"/>) instead of failing.</summary>
internal sealed class OutputClosedException(IOException cause)
    : IOException("the standard output was closed by its reader (a broken pipe)", cause);
