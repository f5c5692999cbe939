using System.Buffers;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>The values of the data lines one encoding scans without a document (<see cref="NdarrayScanner"/>), each line's
/// written at once, comma-separated, as the document's elements would write them (row-major order, no whitespace), into
/// one buffer: a line's values then go into the request as one raw run of bytes. One per thread
/// (<see cref="ThreadBuffer{T}"/>), emptied by <see cref="Start"/> when an encoding starts (a line's values are read
/// before that encoding returns).</summary>
internal sealed class ScannedValues : IThreadBuffer<ScannedValues>
{
    private readonly ArrayBufferWriter<byte> _bytes = new(4096);

    private ScannedValues()
    {
    }

    int IThreadBuffer<ScannedValues>.Capacity => _bytes.Capacity;

    /// <summary>This thread's buffer, emptied.</summary>
    public static ScannedValues Start() => ThreadBuffer<ScannedValues>.Take();

    static ScannedValues IThreadBuffer<ScannedValues>.Create() => new();

    void IThreadBuffer<ScannedValues>.Clear() => _bytes.ResetWrittenCount();

    /// <summary>Adds the values of <paramref name="scanned"/> found at <paramref name="bounds"/> (start and end of each, at
    /// least one value); returns where they are.</summary>
    public (int Start, int End) Add(ReadOnlySpan<byte> scanned, List<int> bounds)
    {
        var start = _bytes.WrittenCount;
        var length = bounds.Count / 2 - 1;
        for (var k = 0; k < bounds.Count; k += 2)
        {
            length += bounds[k + 1] - bounds[k];
        }

        // One span for the whole line rather than a call of the buffer per value.
        var into = _bytes.GetSpan(length);
        var at = 0;
        for (var k = 0; k < bounds.Count; k += 2)
        {
            if (k > 0)
            {
                into[at++] = (byte)',';
            }

            var value = scanned[bounds[k]..bounds[k + 1]];
            value.CopyTo(into[at..]);
            at += value.Length;
        }

        _bytes.Advance(at);
        return (start, _bytes.WrittenCount);
    }

    /// <summary>Scans <paramref name="line"/>'s values straight into the buffer, after a comma at <paramref name="comma"/>
    /// (<see cref="NdarrayScanner.TryScanValues"/>): they end at <paramref name="end"/>. False (nothing added) when the
    /// scan declines the line.</summary>
    public bool TryScan(in InputLine line, TensorScan scan, out int comma, out int end, out ReadOnlySpan<int> dimensions)
    {
        comma = _bytes.WrittenCount;
        var scanned = NdarrayScanner.TryScanValues(line, scan, _bytes, out dimensions);
        end = _bytes.WrittenCount;
        return scanned;
    }

    /// <summary>The bytes at [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public ReadOnlySpan<byte> Bytes(int start, int end) => _bytes.WrittenSpan[start..end];

    /// <summary>Writes the values at [<paramref name="start"/>, <paramref name="end"/>) into the open array of
    /// <paramref name="w"/>: the bytes of one raw value, which the writer puts after a comma where one is needed.</summary>
    public void WriteTo(Utf8JsonWriter w, int start, int end) =>
        w.WriteRawValue(_bytes.WrittenSpan[start..end], skipInputValidation: true);
}
