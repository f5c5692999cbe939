namespace Seldon.Batch.Dataflow;

/// <summary>Where one line's rows are in a <see cref="ScannedRows"/>: its bytes from <paramref name="Start"/>, its rows'
/// ends from <paramref name="FirstRow"/>, its dimensions from <paramref name="FirstDimension"/> (none for a line that was
/// not scanned: <see cref="IsScanned"/>).</summary>
internal readonly record struct ScannedLine(int Start, int FirstRow, int Rows, int FirstDimension, int Dimensions)
{
    public bool IsScanned => Dimensions > 0;
}
