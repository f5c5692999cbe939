using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Reads an ndarray line of numbers (and <c>true</c>, <c>false</c>, <c>null</c>) with one
/// <see cref="Utf8JsonReader"/> pass instead of a <see cref="JsonDocument"/>: its rows come out as the compact bytes
/// <see cref="JsonElement.WriteTo"/> would write for them (numbers as written, no whitespace), and its dimensions as
/// <see cref="RowSource.FromNdarray"/> finds them. Anything else (a string, an object, text that is not ASCII, invalid
/// JSON) is declined, and the caller takes the document path, which then gives its usual answer or error: the scan
/// only ever succeeds where that path would, with the same bytes (a property test holds the two together).</summary>
internal static class NdarrayScanner
{
    private static readonly int MaxDepth = SeldonJson.DocumentOptions.MaxDepth;

    // Per thread, reused: the line's UTF-8 bytes and the scan's per-depth state (a line is scanned by one thread).
    [ThreadStatic]
    private static byte[]? t_utf8;

    [ThreadStatic]
    private static int[]? t_counts;

    [ThreadStatic]
    private static List<int>? t_rowEnds;

    /// <summary>Scans <paramref name="text"/>; on success <paramref name="rows"/> (rented from the shared array pool: the
    /// caller returns it) holds the rows back to back, row <c>i</c> ending at <c>rowEnds[i]</c>.</summary>
    public static bool TryScan(string text, out byte[] rows, out int[] rowEnds, out int[] dimensions) =>
        TryScan(text, null, out rows, out rowEnds, out dimensions);

    /// <summary>Scans <paramref name="text"/> as a tensor: as <see cref="TryScan(string, out byte[], out int[], out int[])"/>,
    /// and <paramref name="tensor"/> learns where each value is in <paramref name="rows"/>, what kinds of values there
    /// are, and whether the array is rectangular (every array at a depth as long as the first, values only at the
    /// deepest level), when <paramref name="dimensions"/> is its shape.</summary>
    public static bool TryScan(string text, TensorScan? tensor, out byte[] rows, out int[] rowEnds, out int[] dimensions)
    {
        rows = [];
        rowEnds = [];
        dimensions = [];
        if (text.Length == 0 || text.Length > 1 << 20)
        {
            return false;
        }

        var utf8 = t_utf8 is { } cached && cached.Length >= text.Length ? cached : t_utf8 = new byte[Math.Max(text.Length, 256)];
        if (Ascii.FromUtf16(text, utf8, out var length) != OperationStatus.Done)
        {
            return false;
        }

        var output = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (Scan(utf8.AsSpan(0, length), output, tensor, out rowEnds, out dimensions))
            {
                rows = output;
                return true;
            }
        }
        catch (JsonException)
        {
            // Invalid JSON: the document path reports it in its own words.
        }

        ArrayPool<byte>.Shared.Return(output);
        rowEnds = [];
        dimensions = [];
        return false;
    }

    private static bool Scan(ReadOnlySpan<byte> utf8, byte[] output, TensorScan? tensor, out int[] rowEnds, out int[] dimensions)
    {
        tensor?.Start();
        rowEnds = [];
        dimensions = [];
        var reader = new Utf8JsonReader(utf8, new JsonReaderOptions { MaxDepth = MaxDepth });
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        // counts[d]: items seen so far in the open array at depth d; onFirstPath[d]: whether that array is on the path of
        // first items (what RowSource.FromNdarray follows); dims[d]: the length of the array at depth d on that path,
        // found when it ends. The state stays in locals and the steps are inlined: this loop runs once per token.
        var state = t_counts ??= new int[3 * (MaxDepth + 2)];
        var counts = state.AsSpan(0, MaxDepth + 2);
        var onFirstPath = state.AsSpan(MaxDepth + 2, MaxDepth + 2);
        var dims = state.AsSpan(2 * (MaxDepth + 2));
        var ends = t_rowEnds ??= [];
        ends.Clear();
        counts[0] = 0;
        onFirstPath[0] = 1;
        var firstPathDepth = 0;
        var pos = 0;
        while (reader.Read())
        {
            var depth = reader.CurrentDepth;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    OpenItem(output, ref pos, counts, depth);
                    OpenArray(counts, onFirstPath, ref firstPathDepth, depth);
                    output[pos++] = (byte)'[';
                    break;
                case JsonTokenType.EndArray:
                    CloseArray(counts, onFirstPath, dims, tensor, depth);
                    if (depth == 0)
                    {
                        // Nothing but whitespace may follow: the reader throws on more.
                        return !reader.Read() && Finish(ends, dims[..(firstPathDepth + 1)], out rowEnds, out dimensions);
                    }

                    output[pos++] = (byte)']';
                    CloseItem(ends, pos, depth);
                    break;
                case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null:
                    OpenItem(output, ref pos, counts, depth);
                    reader.ValueSpan.CopyTo(output.AsSpan(pos));
                    tensor?.Value(depth, reader.TokenType, pos, reader.ValueSpan);
                    pos += reader.ValueSpan.Length;
                    CloseItem(ends, pos, depth);
                    break;
                default:
                    // Strings (escaping) and objects (duplicate names, order) are the document path's.
                    return false;
            }
        }

        return false;
    }

    /// <summary>Counts an item of the array at <paramref name="depth"/> − 1 and writes the comma before it inside a row
    /// (rows themselves are separated by the request's writer).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OpenItem(byte[] output, ref int pos, Span<int> counts, int depth)
    {
        if (counts[depth - 1]++ > 0 && depth > 1)
        {
            output[pos++] = (byte)',';
        }
    }

    /// <summary>An item of the root array is a row: it ends at <paramref name="pos"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CloseItem(List<int> ends, int pos, int depth)
    {
        if (depth == 1)
        {
            ends.Add(pos);
        }
    }

    /// <summary>An array opens at <paramref name="depth"/>: empty, and on the path of first items when its parent is and
    /// it is the parent's first item.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OpenArray(Span<int> counts, Span<int> onFirstPath, ref int firstPathDepth, int depth)
    {
        onFirstPath[depth] = onFirstPath[depth - 1] == 1 && counts[depth - 1] == 1 ? 1 : 0;
        if (onFirstPath[depth] == 1)
        {
            firstPathDepth = depth;
        }

        counts[depth] = 0;
    }

    /// <summary>The array at <paramref name="depth"/> ends: on the path of first items, its length is a dimension.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CloseArray(Span<int> counts, Span<int> onFirstPath, Span<int> dims, TensorScan? tensor, int depth)
    {
        if (onFirstPath[depth] == 1)
        {
            dims[depth] = counts[depth];
        }

        tensor?.ArrayEnded(depth, counts[depth]);
    }

    private static bool Finish(List<int> ends, Span<int> dims, out int[] rowEnds, out int[] dimensions)
    {
        rowEnds = [.. ends];
        dimensions = dims.ToArray();
        return true;
    }
}
