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

        var rows = new RowWriter(output, tensor, t_counts ??= new int[3 * (MaxDepth + 2)], t_rowEnds ??= []);
        while (reader.Read())
        {
            var depth = reader.CurrentDepth;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartArray:
                    rows.StartArray(depth);
                    break;
                case JsonTokenType.EndArray when depth == 0:
                    rows.EndArray(depth);

                    // Nothing but whitespace may follow: the reader throws on more.
                    if (reader.Read())
                    {
                        return false;
                    }

                    rows.Finish(out rowEnds, out dimensions);
                    return true;
                case JsonTokenType.EndArray:
                    rows.EndArray(depth);
                    break;
                case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null:
                    rows.Value(depth, reader.TokenType, reader.ValueSpan);
                    break;
                default:
                    // Strings (escaping) and objects (duplicate names, order) are the document path's.
                    return false;
            }
        }

        return false;
    }

    /// <summary>The scan's output and per-depth state: the rows' compact bytes, where each row ends, and the dimensions
    /// on the path of first items. Its steps are inlined into <see cref="Scan"/>'s loop, which runs once per token.</summary>
    private ref struct RowWriter
    {
        private readonly byte[] _output;
        private readonly TensorScan? _tensor;

        // _counts[d]: items seen so far in the open array at depth d; _onFirstPath[d]: whether that array is on the path
        // of first items (what RowSource.FromNdarray follows); _dims[d]: the length of the array at depth d on that
        // path, found when it ends.
        private readonly Span<int> _counts;
        private readonly Span<int> _onFirstPath;
        private readonly Span<int> _dims;
        private readonly List<int> _ends;
        private int _firstPathDepth;
        private int _pos;

        /// <summary>Starts inside the root array; <paramref name="state"/> holds the three per-depth spans and
        /// <paramref name="ends"/> collects the row ends (both reused, cleared here).</summary>
        public RowWriter(byte[] output, TensorScan? tensor, int[] state, List<int> ends)
        {
            _output = output;
            _tensor = tensor;
            _counts = state.AsSpan(0, MaxDepth + 2);
            _onFirstPath = state.AsSpan(MaxDepth + 2, MaxDepth + 2);
            _dims = state.AsSpan(2 * (MaxDepth + 2));
            _ends = ends;
            _ends.Clear();
            _counts[0] = 0;
            _onFirstPath[0] = 1;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void StartArray(int depth)
        {
            OpenItem(depth);
            _onFirstPath[depth] = _onFirstPath[depth - 1] == 1 && _counts[depth - 1] == 1 ? 1 : 0;
            if (_onFirstPath[depth] == 1)
            {
                _firstPathDepth = depth;
            }

            _counts[depth] = 0;
            _output[_pos++] = (byte)'[';
        }

        /// <summary>Ends the array at <paramref name="depth"/>; the root's bracket is not written (rows are separated by
        /// the request's writer).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void EndArray(int depth)
        {
            if (_onFirstPath[depth] == 1)
            {
                _dims[depth] = _counts[depth];
            }

            _tensor?.ArrayEnded(depth, _counts[depth]);
            if (depth > 0)
            {
                _output[_pos++] = (byte)']';
                EndItem(depth);
            }
        }

        /// <summary>A number, <c>true</c>, <c>false</c> or <c>null</c>, copied as written.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Value(int depth, JsonTokenType type, ReadOnlySpan<byte> value)
        {
            OpenItem(depth);
            value.CopyTo(_output.AsSpan(_pos));
            _tensor?.Value(depth, type, _pos, value);
            _pos += value.Length;
            EndItem(depth);
        }

        public readonly void Finish(out int[] rowEnds, out int[] dimensions)
        {
            rowEnds = [.. _ends];
            dimensions = _dims[..(_firstPathDepth + 1)].ToArray();
        }

        /// <summary>Counts an item of the array at <paramref name="depth"/> − 1 and writes the comma before it inside a
        /// row (rows themselves are separated by the request's writer).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void OpenItem(int depth)
        {
            if (_counts[depth - 1]++ > 0 && depth > 1)
            {
                _output[_pos++] = (byte)',';
            }
        }

        /// <summary>An item of the root array is a row: it ends here.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private readonly void EndItem(int depth)
        {
            if (depth == 1)
            {
                _ends.Add(_pos);
            }
        }
    }
}
