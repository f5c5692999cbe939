namespace Seldon.Batch.Dataflow;

/// <summary>One line of the input file and its 0-based position, which becomes <c>batch_index</c>.</summary>
/// <param name="Index">The 0-based line number.</param>
/// <param name="Text">The line without its line terminator.</param>
/// <param name="Failure">Why the line cannot be sent although it was read (a table row with a null in a model-input
/// column): the codecs make it the line's error record (<see cref="LineFailureKind.InvalidLine"/>), as they do for a line
/// they cannot read themselves, and send its neighbours. Null for a line to encode.</param>
/// <param name="Row">A table row, whose values the codecs write into the request as its layout says (<see cref="Text"/> is
/// then empty and not read); null for a line of text.</param>
internal readonly record struct InputLine(long Index, string Text, string? Failure = null, TableRow? Row = null);
