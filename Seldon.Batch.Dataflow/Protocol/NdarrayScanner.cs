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
    public static bool TryScan(string text, TensorScan? tensor, out byte[] rows, out int[] rowEnds, out int[] dimensions) =>
        TryScan(new InputLine(0, text), tensor, out rows, out rowEnds, out dimensions);

    /// <summary>Scans <paramref name="line"/> as <see cref="TryScan(string, TensorScan?, out byte[], out int[], out int[])"/>
    /// does its text: a line read as bytes is scanned as it is (no string made of it, nothing transcoded), with the same
    /// outcome, since the scan takes ASCII only (any other byte leaves the line to the document path, which decodes it).</summary>
    public static bool TryScan(in InputLine line, TensorScan? tensor, out byte[] rows, out int[] rowEnds, out int[] dimensions)
    {
        rows = [];
        rowEnds = [];
        dimensions = [];
        return AsciiBytes(line, out var utf8) && TryScanAscii(utf8, tensor, out rows, out rowEnds, out dimensions);
    }

    /// <summary>Scans <paramref name="line"/> as a tensor as <see cref="TryScan(in InputLine, TensorScan?, out byte[], out int[], out int[])"/>
    /// does, for its values only (Open Inference data lines): no array of row ends, and the <paramref name="dimensions"/>
    /// this thread's own, valid until its next scan (two arrays a line less).</summary>
    public static bool TryScanTensor(in InputLine line, TensorScan tensor, out byte[] values, out ReadOnlySpan<int> dimensions)
    {
        values = [];
        dimensions = default;
        if (!AsciiBytes(line, out var utf8))
        {
            return false;
        }

        var output = ArrayPool<byte>.Shared.Rent(utf8.Length);
        var ends = t_rowEnds ??= [];
        ends.Clear();
        if (!Scan(utf8, output, tensor, ends, 0, out _, out var dims))
        {
            ArrayPool<byte>.Shared.Return(output);
            return false;
        }

        values = output;
        dimensions = dims;
        return true;
    }

    /// <summary>Scans <paramref name="line"/> as a tensor as <see cref="TryScanTensor"/> does, writing its values alone
    /// (row-major, comma-separated, as the document's elements write them) after what <paramref name="output"/> holds, one
    /// comma before them: a run of lines' values is then one span (the first line's taken from after its comma). The
    /// <paramref name="dimensions"/> are this thread's own, valid until its next scan. A line the scan declines adds
    /// nothing.</summary>
    public static bool TryScanValues(in InputLine line, TensorScan tensor, ArrayBufferWriter<byte> output, out ReadOnlySpan<int> dimensions)
    {
        dimensions = default;
        if (!AsciiBytes(line, out var utf8))
        {
            return false;
        }

        // The values and the commas between them are never longer than the line (each value stands after a bracket or
        // a comma there).
        var into = output.GetSpan(utf8.Length + 1);
        into[0] = (byte)',';
        var ends = t_rowEnds ??= [];
        if (!Scan<ValuesOut>(utf8, into[1..], tensor, ends, 0, out var written, out var dims))
        {
            return false;
        }

        output.Advance(written + 1);
        dimensions = dims;
        return true;
    }

    /// <summary>Scans <paramref name="line"/> as <see cref="TryScan(in InputLine, TensorScan?, out byte[], out int[], out int[])"/>
    /// does, into buffers the caller keeps for a whole group of lines instead of arrays of the line's own: its rows are
    /// written after what <paramref name="output"/> holds, back to back, the end of each (an offset into
    /// <paramref name="output"/>'s written bytes) added to <paramref name="rowEnds"/>, and its dimensions added to
    /// <paramref name="dimensions"/>. A line the scan declines adds nothing.</summary>
    public static bool TryScan(in InputLine line, ArrayBufferWriter<byte> output, List<int> rowEnds, List<int> dimensions)
    {
        if (!AsciiBytes(line, out var utf8))
        {
            return false;
        }

        var at = output.WrittenCount;
        var ends = rowEnds.Count;
        if (!Scan(utf8, output.GetSpan(utf8.Length), null, rowEnds, at, out var written, out var dims))
        {
            rowEnds.RemoveRange(ends, rowEnds.Count - ends);
            return false;
        }

        output.Advance(written);
        foreach (var d in dims)
        {
            dimensions.Add(d);
        }

        return true;
    }

    /// <summary>The line's bytes when it is ASCII and not too long for the scan: as read, or its text narrowed into this
    /// thread's buffer.</summary>
    private static bool AsciiBytes(in InputLine line, out ReadOnlySpan<byte> utf8)
    {
        utf8 = default;
        if (line.HasUtf8)
        {
            utf8 = line.Utf8.Span;
            return utf8.Length > 0 && utf8.Length <= MaxLine && Ascii.IsValid(utf8);
        }

        var text = line.Text;
        if (text.Length == 0 || text.Length > MaxLine)
        {
            return false;
        }

        var buffer = t_utf8 is { } cached && cached.Length >= text.Length ? cached : t_utf8 = new byte[Math.Max(text.Length, 256)];
        if (Ascii.FromUtf16(text, buffer, out var length) != OperationStatus.Done)
        {
            return false;
        }

        utf8 = buffer.AsSpan(0, length);
        return true;
    }

    // Longer lines take the document path.
    private const int MaxLine = 1 << 20;

    private static bool TryScanAscii(ReadOnlySpan<byte> utf8, TensorScan? tensor, out byte[] rows, out int[] rowEnds, out int[] dimensions)
    {
        // The compact rows are never longer than the line. Invalid JSON is declined: the document path reports it in its
        // own words.
        var output = ArrayPool<byte>.Shared.Rent(utf8.Length);
        var ends = t_rowEnds ??= [];
        ends.Clear();
        if (Scan(utf8, output, tensor, ends, 0, out _, out var dims))
        {
            rows = output;
            rowEnds = [.. ends];
            dimensions = dims.ToArray();
            return true;
        }

        ArrayPool<byte>.Shared.Return(output);
        rows = [];
        rowEnds = [];
        dimensions = [];
        return false;
    }

    /// <summary>Writes the rows of <paramref name="utf8"/> into <paramref name="output"/> (at least as long as the line),
    /// back to back, adding the end of each plus <paramref name="offset"/> to <paramref name="ends"/>; <paramref name="written"/>
    /// bytes in all, and the dimensions found (valid until this thread's next scan).</summary>
    private static bool Scan(ReadOnlySpan<byte> utf8, Span<byte> output, TensorScan? tensor, List<int> ends, int offset, out int written, out Span<int> dimensions) =>
        Scan<RowsOut>(utf8, output, tensor, ends, offset, out written, out dimensions);

    /// <summary>What a scan writes: the compact rows (<see cref="RowsOut"/>) or the values alone (<see cref="ValuesOut"/>).
    /// A type argument, so each kind of scan is compiled with its own branches only.</summary>
    private interface IScanOut
    {
        static abstract bool ValuesOnly { get; }
    }

    /// <summary>The rows, brackets and commas as the document's elements write them, each row's end in the ends.</summary>
    private readonly struct RowsOut : IScanOut
    {
        public static bool ValuesOnly => false;
    }

    /// <summary>The values alone, in row-major order, comma-separated (no brackets, no row ends): a tensor's data.</summary>
    private readonly struct ValuesOut : IScanOut
    {
        public static bool ValuesOnly => true;
    }

    private static bool Scan<TOut>(ReadOnlySpan<byte> utf8, Span<byte> output, TensorScan? tensor, List<int> ends, int offset, out int written, out Span<int> dimensions)
        where TOut : struct, IScanOut
    {
        tensor?.Start();
        written = 0;
        dimensions = default;
        var reader = new ArrayTokens(utf8);
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
                    OpenItem<TOut>(output, ref pos, counts, depth);
                    OpenArray(counts, onFirstPath, ref firstPathDepth, depth);
                    Bracket<TOut>(output, ref pos, (byte)'[');
                    break;
                case JsonTokenType.EndArray:
                    CloseArray(counts, onFirstPath, dims, tensor, depth);
                    if (depth == 0)
                    {
                        // Nothing but whitespace may follow.
                        written = pos;
                        dimensions = dims[..(firstPathDepth + 1)];
                        return reader.AtEnd();
                    }

                    Bracket<TOut>(output, ref pos, (byte)']');
                    CloseItem<TOut>(ends, pos + offset, depth);
                    break;
                case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null:
                    OpenItem<TOut>(output, ref pos, counts, depth);
                    Value<TOut>(output, ref pos, tensor, depth, reader.TokenType, reader.ValueSpan);
                    CloseItem<TOut>(ends, pos + offset, depth);
                    break;
                default:
                    // Strings (escaping) and objects (duplicate names, order) are the document path's.
                    return false;
            }
        }

        return false;
    }

    /// <summary>Counts an item of the array at <paramref name="depth"/> − 1 and writes the comma before it inside a row
    /// (rows themselves are separated by the request's writer; values alone get theirs in <see cref="Value"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void OpenItem<TOut>(Span<byte> output, ref int pos, Span<int> counts, int depth)
        where TOut : struct, IScanOut
    {
        if (counts[depth - 1]++ > 0 && depth > 1 && !TOut.ValuesOnly)
        {
            output[pos++] = (byte)',';
        }
    }

    /// <summary>Writes a value (after a comma when values alone are written and it is not the first) and tells
    /// <paramref name="tensor"/> of it: where it is when rows are written, only what it is when values are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Value<TOut>(Span<byte> output, ref int pos, TensorScan? tensor, int depth, JsonTokenType kind, ReadOnlySpan<byte> value)
        where TOut : struct, IScanOut
    {
        if (TOut.ValuesOnly)
        {
            if (pos > 0)
            {
                output[pos++] = (byte)',';
            }

            tensor?.Value(depth, kind, value);
        }
        else
        {
            tensor?.Value(depth, kind, pos, value);
        }

        value.CopyTo(output[pos..]);
        pos += value.Length;
    }

    /// <summary>Writes a bracket when rows are written; nothing when values are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Bracket<TOut>(Span<byte> output, ref int pos, byte bracket)
        where TOut : struct, IScanOut
    {
        if (!TOut.ValuesOnly)
        {
            output[pos++] = bracket;
        }
    }

    /// <summary>As <see cref="CloseItem(List{int}, int, int)"/> when rows are written; nothing when values are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void CloseItem<TOut>(List<int> ends, int pos, int depth)
        where TOut : struct, IScanOut
    {
        if (!TOut.ValuesOnly)
        {
            CloseItem(ends, pos, depth);
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

    /// <summary>The tokens of a line as <see cref="Utf8JsonReader"/> reads them (default options: RFC 8259 JSON, no comments,
    /// no trailing commas, at most <see cref="MaxDepth"/> arrays deep), for the part of JSON the scan takes: an array of
    /// arrays, numbers, <c>true</c>, <c>false</c> and <c>null</c>. It stops (<see cref="Read"/> returns false) at the end
    /// of the line and at anything else, valid or not (a string, an object, bad syntax), which the scan then declines:
    /// the document path reads the line and refuses it or not in its own words. The reader itself cost a third of the
    /// encoding's CPU at batch size 32, being general; this reads a line of numbers in one pass over its bytes.</summary>
    private ref struct ArrayTokens(ReadOnlySpan<byte> utf8)
    {
        private const int BeforeRoot = 0, ItemOrEnd = 1, Item = 2, CommaOrEnd = 3;
        private readonly ReadOnlySpan<byte> _utf8 = utf8;
        private int _at;
        private int _open;
        private int _state = BeforeRoot;
        private int _start;

        public JsonTokenType TokenType { get; private set; }

        /// <summary>As <see cref="Utf8JsonReader.CurrentDepth"/>: the arrays open around the token (a closing bracket's
        /// array no longer counts).</summary>
        public int CurrentDepth { get; private set; }

        /// <summary>The bytes of the last scalar, as written.</summary>
        public readonly ReadOnlySpan<byte> ValueSpan => _utf8[_start.._at];

        /// <summary>Reads the next token; false at the end of the line or where the scan stops.</summary>
        public bool Read()
        {
            if (!SkipSpace())
            {
                return false;
            }

            var c = _utf8[_at];
            if (_state == CommaOrEnd && c == (byte)',')
            {
                _at++;
                _state = Item;
                if (!SkipSpace())
                {
                    return false;
                }

                c = _utf8[_at];
            }

            if (c == (byte)']')
            {
                // Not after a comma (a trailing comma), nor before the root array.
                if (_state is Item or BeforeRoot)
                {
                    return false;
                }

                _at++;
                CurrentDepth = --_open;
                TokenType = JsonTokenType.EndArray;
                _state = CommaOrEnd;
                return true;
            }

            if (_state == CommaOrEnd)
            {
                return false;
            }

            if (c == (byte)'[')
            {
                if (_open >= MaxDepth)
                {
                    return false;
                }

                _at++;
                CurrentDepth = _open++;
                TokenType = JsonTokenType.StartArray;
                _state = ItemOrEnd;
                return true;
            }

            // A scalar: not as the root (the scan takes arrays), and whatever follows it is read as the next token.
            CurrentDepth = _open;
            _start = _at;
            _state = CommaOrEnd;
            return _open > 0 && Scalar(c);
        }

        /// <summary>Whether nothing but white space is left.</summary>
        public bool AtEnd() => !SkipSpace();

        /// <summary>Skips JSON white space; false at the end of the line.</summary>
        private bool SkipSpace()
        {
            while (_at < _utf8.Length && _utf8[_at] is (byte)' ' or (byte)'\t' or (byte)'\n' or (byte)'\r')
            {
                _at++;
            }

            return _at < _utf8.Length;
        }

        private bool Scalar(byte c)
        {
            switch (c)
            {
                case (byte)'t':
                    TokenType = JsonTokenType.True;
                    return Literal("true"u8);
                case (byte)'f':
                    TokenType = JsonTokenType.False;
                    return Literal("false"u8);
                case (byte)'n':
                    TokenType = JsonTokenType.Null;
                    return Literal("null"u8);
                default:
                    TokenType = JsonTokenType.Number;
                    return Number();
            }
        }

        private bool Literal(ReadOnlySpan<byte> literal)
        {
            if (!_utf8[_at..].StartsWith(literal))
            {
                return false;
            }

            _at += literal.Length;
            return true;
        }

        /// <summary>A number as RFC 8259 writes it: <c>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</c>.</summary>
        private bool Number()
        {
            var s = _utf8;
            var i = _at;
            if (s[i] == (byte)'-')
            {
                i++;
            }

            if (i < s.Length && s[i] == (byte)'0')
            {
                i++;
            }
            else if (!Digits(s, ref i))
            {
                return false;
            }

            if (i < s.Length && s[i] == (byte)'.')
            {
                i++;
                if (!Digits(s, ref i))
                {
                    return false;
                }
            }

            if (i < s.Length && (s[i] | 0x20) == (byte)'e')
            {
                i++;
                if (i < s.Length && s[i] is (byte)'+' or (byte)'-')
                {
                    i++;
                }

                if (!Digits(s, ref i))
                {
                    return false;
                }
            }

            _at = i;
            return true;
        }

        /// <summary>Skips one digit or more; false when there is none.</summary>
        private static bool Digits(ReadOnlySpan<byte> s, ref int i)
        {
            var start = i;
            while (i < s.Length && char.IsAsciiDigit((char)s[i]))
            {
                i++;
            }

            return i > start;
        }
    }
}
