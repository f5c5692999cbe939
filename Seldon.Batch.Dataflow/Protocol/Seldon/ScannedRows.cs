using System.Buffers;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>The rows of a group's ndarray lines scanned without a document (<see cref="NdarrayScanner"/>), all in one
/// buffer: each line's rows written after the last line's, compact, as the document's elements would write them, their
/// ends and the lines' dimensions in two lists. A line is a <see cref="ScannedLine"/> of offsets into them, so a group's
/// scan makes no array, rented buffer or object per line (it was a <see cref="RowSource"/>, two arrays and a pool rent
/// each). One per thread (<see cref="ThreadBuffer{T}"/>), emptied when an encoding takes it (a group's rows are written
/// into its requests before that encoding returns).</summary>
internal sealed class ScannedRows : IThreadBuffer<ScannedRows>
{
    private readonly ArrayBufferWriter<byte> _bytes = new(4096);
    private readonly List<int> _rowEnds = new(64);
    private readonly List<int> _dimensions = new(64);

    private ScannedRows()
    {
    }

    int IThreadBuffer<ScannedRows>.Capacity => _bytes.Capacity;

    /// <summary>This thread's buffer, emptied.</summary>
    public static ScannedRows Start() => ThreadBuffer<ScannedRows>.Take();

    static ScannedRows IThreadBuffer<ScannedRows>.Create() => new();

    void IThreadBuffer<ScannedRows>.Clear()
    {
        _bytes.ResetWrittenCount();
        _rowEnds.Clear();
        _dimensions.Clear();
    }

    /// <summary>Says the encoding that took it is over (a buffer grown past its bound is let go).</summary>
    public void Finished() => ThreadBuffer<ScannedRows>.Finished(this);

    /// <summary>Scans <paramref name="line"/> into the buffer; false (nothing added) when the scan declines it and the
    /// document path must read it.</summary>
    public bool TryAdd(in InputLine line, out ScannedLine scanned)
    {
        var start = _bytes.WrittenCount;
        var firstRow = _rowEnds.Count;
        var firstDimension = _dimensions.Count;
        if (!NdarrayScanner.TryScan(line, _bytes, _rowEnds, _dimensions))
        {
            scanned = default;
            return false;
        }

        scanned = new ScannedLine(start, firstRow, _rowEnds.Count - firstRow, firstDimension, _dimensions.Count - firstDimension);
        return true;
    }

    /// <summary>The dimensions of <paramref name="line"/> after the first (the shape of its rows).</summary>
    public ReadOnlySpan<int> RowShape(ScannedLine line) =>
        System.Runtime.InteropServices.CollectionsMarshal.AsSpan(_dimensions).Slice(line.FirstDimension + 1, line.Dimensions - 1);

    /// <summary>The length of <paramref name="line"/>'s rows written by <see cref="CopyItems"/>: their bytes and the commas
    /// between them.</summary>
    public int ItemsLength(in ScannedLine line)
    {
        var start = line.Start;
        var end = line.Rows == 0 ? start : _rowEnds[line.FirstRow + line.Rows - 1];
        return end - start + Math.Max(0, line.Rows - 1);
    }

    /// <summary>Copies the rows of <paramref name="line"/> into <paramref name="into"/> as the items of a JSON array (without
    /// its brackets), as <see cref="WriteRows"/> writes them into an open array: the rows' compact bytes, a comma between
    /// two. Returns the bytes written (<see cref="ItemsLength"/>).</summary>
    public int CopyItems(in ScannedLine line, Span<byte> into)
    {
        var bytes = _bytes.WrittenSpan;
        var start = line.Start;
        var at = 0;
        for (var r = line.FirstRow; r < line.FirstRow + line.Rows; r++)
        {
            if (r > line.FirstRow)
            {
                into[at++] = (byte)',';
            }

            var end = _rowEnds[r];
            bytes[start..end].CopyTo(into[at..]);
            at += end - start;
            start = end;
        }

        return at;
    }

    /// <summary>Writes the rows of <paramref name="line"/> into the open array of <paramref name="w"/>, one JSON value each.</summary>
    public void WriteRows(Utf8JsonWriter w, in ScannedLine line)
    {
        var bytes = _bytes.WrittenSpan;
        var start = line.Start;
        for (var r = line.FirstRow; r < line.FirstRow + line.Rows; r++)
        {
            var end = _rowEnds[r];
            w.WriteRawValue(bytes[start..end], skipInputValidation: true);
            start = end;
        }
    }
}
