using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>A table row on its way to the model: its values as one JSON array (UTF-8), in the order of its
/// <see cref="Layout"/>'s columns, which the codecs write into the request as the layout says, the rows of a micro-batch
/// merged without parsing them again. Immutable, so a row can be encoded again (a refused request's rows are sent again
/// one by one).</summary>
internal sealed class TableRow
{
    private readonly byte[] _array;
    private readonly int[] _ends;

    /// <param name="layout">What the run's rows are to the model.</param>
    /// <param name="array">The values as a JSON array: <c>[1,0.5,"x"]</c>.</param>
    /// <param name="ends">Where each value ends in <paramref name="array"/>; value c starts one byte after the end of
    /// value c − 1 (a comma), the first one after the opening bracket.</param>
    public TableRow(RowLayout layout, byte[] array, int[] ends)
    {
        Layout = layout;
        _array = array;
        _ends = ends;
    }

    public RowLayout Layout { get; }

    /// <summary>Whether a group holds table rows (a table run's groups hold nothing else: rows, and rows that failed).</summary>
    public static bool AnyIn(IReadOnlyList<InputLine> lines)
    {
        foreach (var line in lines)
        {
            if (line.Row is not null)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The values as one JSON array: a Seldon ndarray row.</summary>
    public ReadOnlySpan<byte> Array => _array;

    /// <summary>The JSON text of value <paramref name="c"/>.</summary>
    public ReadOnlySpan<byte> Value(int c)
    {
        var start = c == 0 ? 1 : _ends[c - 1] + 1;
        return _array.AsSpan(start, _ends[c] - start);
    }

    /// <summary>Writes the values one after the other into the array or object <paramref name="w"/> is writing.</summary>
    public void WriteValues(Utf8JsonWriter w)
    {
        for (var c = 0; c < _ends.Length; c++)
        {
            w.WriteRawValue(Value(c), skipInputValidation: true);
        }
    }
}
