namespace Seldon.Batch.Dataflow;

/// <summary>One line of the input file and its 0-based position, which becomes <c>batch_index</c>.</summary>
/// <param name="Index">The 0-based line number.</param>
/// <param name="Text">The line without its line terminator.</param>
internal readonly record struct InputLine(long Index, string Text);
