using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

// The forward check: an answer whose bytes are the remembered answer's around its holes is written from the remembered
// templates without being read as a document (the document was 3.6 to 3.9 % of V2's CPU at batch sizes 1 and 32).
internal sealed partial class InferenceResponseSplitter
{
    private static readonly SearchValues<byte> JsonSpace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>Bytes a data hole must not hold to be copied into a line as it is: whitespace (the line writer drops it)
    /// and quotes (a string may be unescaped and escaped again); see <see cref="LineTemplate.IsVerbatim"/>.</summary>
    private static readonly SearchValues<byte> RewrittenBytes = SearchValues.Create(" \t\r\n\""u8);

    /// <summary>Nesting read in a data hole of an answer that is not cut (it lies 4 levels deep in the answer, and the
    /// document reads 256): deeper data takes the document.</summary>
    private static readonly JsonReaderOptions HoleReaderOptions = new() { MaxDepth = 64 };

    /// <summary>The lines of <paramref name="answer"/> written from the remembered templates, when its bytes around the
    /// holes (the answer's <c>id</c>, its outputs' <c>data</c>) are the remembered answer's, its holes hold what the
    /// templates take as they are (an id that is a string, number or literal; data without whitespace or strings, and,
    /// cut into lines, flat with as many values as the shape says) and every sent line takes a template recorded before;
    /// null otherwise, and the answer is read as a document.</summary>
    /// <remarks>Such an answer parses as the remembered one but for its holes: the bytes up to each hole are the same, and
    /// each hole holds one complete value, so the reader's state after it is the one after the remembered answer's. It
    /// has the same fields in the same order, no property twice, and the same shapes: it has the same templates, and the
    /// lines written from them are those the templates would be filled with from its document.</remarks>
    private InstanceResult[]? TakeRemembered(EncodedBatch batch, AnswerBody answer)
    {
        var members = batch.Members;
        var whole = members.Count == 1 && !batch.IsSplit;
        if (!(whole || (members.Count > 1 && batch.IsSplit)))
        {
            return null;
        }

        var known = Volatile.Read(ref whole ? ref _rememberedWhole : ref _remembered);
        if (known is null || !Serves(known, members))
        {
            return null;
        }

        var rows = whole ? -1 : batch.SentRows;
        var utf8 = Utf8Answer.Of(answer); // a string client's text made UTF-8 for the read
        try
        {
            return utf8.IsValid ? ReadRemembered(batch, known, utf8.Bytes, rows) : null;
        }
        finally
        {
            utf8.Return();
        }
    }

    /// <summary>The lines of the UTF-8 <paramref name="answer"/> from the <paramref name="known"/> templates, when its holes
    /// read as <see cref="TakeRemembered"/> says; null otherwise.</summary>
    private InstanceResult[]? ReadRemembered(EncodedBatch batch, RememberedTemplates known, ReadOnlySpan<byte> answer, int rows)
    {
        var bounds = rows < 0 ? null : ArrayPool<int>.Shared.Rent(known.Bounds(rows));
        try
        {
            var utf8 = TrimSpace(answer);
            Span<Range> data = stackalloc Range[known.Outputs];
            return known.Reads(utf8, rows, data, bounds) ? WriteRemembered(batch, known, new AnswerHoles(utf8, data, bounds, rows)) : null;
        }
        finally
        {
            if (bounds is not null)
            {
                ArrayPool<int>.Shared.Return(bounds);
            }
        }
    }

    /// <summary>Whether the lines of <paramref name="answer"/> are written from the remembered templates without a document
    /// (for the tests: the lines are the same either way).</summary>
    internal bool TakesRemembered(EncodedBatch batch, string answer) => TakeRemembered(batch, answer) is not null;

    /// <summary>Whether every sent member's line takes a remembered template, as <see cref="Templates.For"/> would give
    /// it: plain ids, an inference id, and the template of its kind recorded (not null) by an earlier answer.</summary>
    private static bool Serves(RememberedTemplates known, IReadOnlyList<BatchMember> members)
    {
        string? plainId = null, plainInferenceId = null;
        foreach (var member in members)
        {
            if (!member.IsSent)
            {
                continue;
            }

            var id = member.RequestId ?? member.InstanceId;
            if (!Templates.IsPlain(id, ref plainId) || member.InferenceId is not { } inferenceId || !Templates.IsPlain(inferenceId, ref plainInferenceId)
                || (member.LineId is { } lineId && !SeldonJson.IsPlain(lineId))
                || (member.LineId is null ? !known.PlainTried || known.Plain is null : !known.WithIdTried || known.WithId is null))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Every member's line: a sent one's from its remembered template, its rows following those of the sent
    /// members before it (as <see cref="MemberLines.Split"/> writes them).</summary>
    private InstanceResult[] WriteRemembered(EncodedBatch batch, RememberedTemplates known, AnswerHoles holes)
    {
        var members = batch.Members;
        var results = new InstanceResult[members.Count];
        var lines = AnswerLines.Start();
        var offset = 0;

        // The lines of a request share its inference id (plain, as Serves found): its JSON string is made once.
        Span<byte> quoted = stackalloc byte[SeldonJson.LongestPlain + 2];
        string? quotedId = null;
        var quotedLength = 0;
        for (var i = 0; i < results.Length; i++)
        {
            var m = members[i];
            if (!m.IsSent)
            {
                results[i] = ErrorRecord(m, m.Unsent);
                continue;
            }

            if (!ReferenceEquals(m.InferenceId, quotedId))
            {
                (quotedId, quotedLength) = (m.InferenceId!, Quote(m.InferenceId!, quoted));
            }

            var (id, item) = m.TemplateId;
            var template = m.LineId is null ? known.Plain! : known.WithId!;
            lines.Write(i, m.Index, template, id, item, new HoleFiller(holes, offset, m.Rows, m.LineId, quoted[..quotedLength]));
            offset += m.Rows;
        }

        lines.Finish(results);
        return results;
    }

    /// <summary>Writes the JSON string of the plain <paramref name="id"/> into <paramref name="into"/>: its ASCII bytes in
    /// quotes, as <see cref="LineFiller.WritePlain"/> writes it; returns its length.</summary>
    private static int Quote(string id, Span<byte> into)
    {
        into[0] = (byte)'"';
        var length = Encoding.ASCII.GetBytes(id, into[1..]);
        into[length + 1] = (byte)'"';
        return length + 2;
    }

    private static ReadOnlySpan<byte> TrimSpace(ReadOnlySpan<byte> bytes)
    {
        var start = bytes.IndexOfAnyExcept(JsonSpace);
        return start < 0 ? default : bytes[start..(bytes.LastIndexOfAnyExcept(JsonSpace) + 1)];
    }

    /// <summary>The holes of an answer read forward: its bytes; each output's data, brackets excluded (by output number);
    /// and, when it is cut into <see cref="Rows"/> rows (else -1), where each output's rows start in it.</summary>
    private readonly ref struct AnswerHoles(ReadOnlySpan<byte> answer, ReadOnlySpan<Range> data, ReadOnlySpan<int> bounds, int rows)
    {
        public readonly ReadOnlySpan<byte> Answer = answer;
        public readonly ReadOnlySpan<Range> Data = data;
        public readonly ReadOnlySpan<int> Bounds = bounds;
        public readonly int Rows = rows;

        /// <summary>Writes the values of output <paramref name="output"/>'s rows [<paramref name="offset"/>, +
        /// <paramref name="count"/>), comma-separated, as <see cref="AnswerTensor.WriteValues"/> does; all its data when
        /// the answer is not cut.</summary>
        public void WriteValues(ArrayBufferWriter<byte> buffer, int output, int offset, int count)
        {
            if (Rows < 0)
            {
                LineTemplate.Put(buffer, Answer[Data[output]]);
                return;
            }

            // The bound after the last row is one past the closing bracket, that of any other row one past a comma.
            var first = output * (Rows + 1);
            var (start, end) = (Bounds[first + offset], Bounds[first + offset + count] - 1);
            if (end > start)
            {
                LineTemplate.Put(buffer, Answer[start..end]);
            }
        }
    }

    /// <summary>Fills a line's own holes from the answer's holes read forward, as <see cref="LineFiller"/> does from its
    /// document.</summary>
    /// <remarks><paramref name="inferenceId"/> is the inference id's JSON string, made once per answer.</remarks>
    private readonly ref struct HoleFiller(AnswerHoles holes, int offset, int rows, string? lineId, ReadOnlySpan<byte> inferenceId) : LineTemplate.IFiller
    {
        private readonly AnswerHoles _holes = holes;
        private readonly ReadOnlySpan<byte> _inferenceId = inferenceId;

        public void Fill(ArrayBufferWriter<byte> buffer, LineTemplate.Part part, int output)
        {
            switch (part)
            {
                case LineTemplate.Part.RowCount:
                    LineTemplate.WriteNumber(buffer, rows);
                    break;
                case LineTemplate.Part.Values:
                    _holes.WriteValues(buffer, output, offset, rows);
                    break;
                case LineTemplate.Part.InferenceId:
                    LineTemplate.Put(buffer, _inferenceId);
                    break;
                default:
                    LineFiller.WritePlain(buffer, lineId!);
                    break;
            }
        }
    }

    /// <summary>The forward check of an answer against the remembered one's bytes.</summary>
    private sealed partial class RememberedTemplates
    {
        /// <summary>The number of outputs of the remembered answer.</summary>
        public int Outputs => _shapes.Length;

        /// <summary>The row bounds <see cref="Reads"/> needs for an answer of <paramref name="rows"/> rows: one more than
        /// the rows per output.</summary>
        public int Bounds(int rows) => _shapes.Length * (rows + 1);

        /// <summary>Whether <paramref name="answer"/> (without surrounding whitespace) has the remembered bytes around its
        /// holes, and holes the templates take: then <paramref name="data"/> holds where each output's data lies (brackets
        /// excluded) and, for an answer cut into <paramref name="rows"/> rows (-1 when not cut), <paramref name="bounds"/>
        /// where each output's rows start (output k's row r at <c>k * (rows + 1) + r</c>, and one past its data's end
        /// after its last row).</summary>
        public bool Reads(ReadOnlySpan<byte> answer, int rows, Span<Range> data, Span<int> bounds)
        {
            if (rows >= 0 && !ShapesCut(rows))
            {
                return false;
            }

            var (at, from) = (0, 0);
            for (var k = 0; k < _holeOutputs.Length; k++)
            {
                var run = _bytes.AsSpan(from, _ends[k] - from);
                if (!answer[at..].StartsWith(run))
                {
                    return false;
                }

                (at, from) = (at + run.Length, _ends[k]);
                var output = _holeOutputs[k];
                var length = output < 0 ? ScalarLength(answer[at..])
                    : rows < 0 ? ArrayLength(answer[at..])
                    : CutLength(answer[at..], at, rows, RowSize(_shapes[output]), bounds[(output * (rows + 1))..((output + 1) * (rows + 1))]);
                if (length <= 0)
                {
                    return false;
                }

                if (output >= 0)
                {
                    data[output] = (at + 1)..(at + length - 1);
                }

                at += length;
            }

            return answer[at..].SequenceEqual(_bytes.AsSpan(from));
        }

        /// <summary>Whether each output has the <paramref name="rows"/> as its first dimension and data to cut (else the
        /// document reports the answer unusable, or the line writer writes it).</summary>
        private bool ShapesCut(int rows)
        {
            var data = 0;
            foreach (var output in _holeOutputs)
            {
                data += output >= 0 ? 1 : 0;
            }

            if (data != _shapes.Length)
            {
                return false;
            }

            foreach (var shape in _shapes)
            {
                if (shape.Length == 0 || shape[0] != rows)
                {
                    return false;
                }
            }

            return true;
        }

        private static long RowSize(long[] shape)
        {
            var size = 1L;
            for (var k = 1; k < shape.Length; k++)
            {
                size *= shape[k];
            }

            return size;
        }

        /// <summary>The length of the id at the start of <paramref name="hole"/>: a string, number or literal (nothing of
        /// it is written, but it must be one JSON value); 0 for anything else.</summary>
        private static int ScalarLength(ReadOnlySpan<byte> hole)
        {
            var reader = new Utf8JsonReader(hole, HoleReaderOptions);
            try
            {
                return reader.Read() && reader.TokenStartIndex == 0 && reader.TokenType is JsonTokenType.String or JsonTokenType.Number
                    or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null
                    ? (int)reader.BytesConsumed
                    : 0;
            }
            catch (JsonException)
            {
                return 0;
            }
        }

        /// <summary>The length of the data array at the start of <paramref name="hole"/>, copied whole into the line: 0
        /// when it is not one, or holds whitespace or strings.</summary>
        private static int ArrayLength(ReadOnlySpan<byte> hole)
        {
            var reader = new Utf8JsonReader(hole, HoleReaderOptions);
            try
            {
                if (!reader.Read() || reader.TokenStartIndex != 0 || reader.TokenType != JsonTokenType.StartArray || !reader.TrySkip())
                {
                    return 0;
                }

                var length = (int)reader.BytesConsumed;
                return hole[..length].ContainsAny(RewrittenBytes) ? 0 : length;
            }
            catch (JsonException)
            {
                return 0;
            }
        }

        /// <summary>The length of the data array at the start of <paramref name="hole"/> (at <paramref name="at"/> in the
        /// answer), cut into <paramref name="rows"/> rows of <paramref name="rowSize"/> values: flat, of numbers and
        /// literals, without whitespace, <c>rows × rowSize</c> of them. Puts in <paramref name="bounds"/> where each row
        /// starts in the answer, and after the last one past the closing bracket. 0 when it is not so.</summary>
        private static int CutLength(ReadOnlySpan<byte> hole, int at, int rows, long rowSize, Span<int> bounds)
        {
            if (rowSize > hole.Length)
            {
                return 0;
            }

            var reader = new Utf8JsonReader(hole, HoleReaderOptions);
            try
            {
                if (!reader.Read() || reader.TokenStartIndex != 0 || reader.TokenType != JsonTokenType.StartArray)
                {
                    return 0;
                }

                var count = 0L;
                while (reader.Read() && reader.TokenType is JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null)
                {
                    if (rowSize > 0 && count % rowSize == 0 && count / rowSize < rows)
                    {
                        bounds[(int)(count / rowSize)] = at + (int)reader.TokenStartIndex;
                    }

                    count++;
                }

                if (reader.TokenType != JsonTokenType.EndArray || count != rows * rowSize)
                {
                    return 0;
                }

                var length = (int)reader.BytesConsumed;
                if (rowSize == 0)
                {
                    bounds[..rows].Fill(at + length - 1);
                }

                bounds[rows] = at + length;
                return hole[..length].ContainsAny(JsonSpace) ? 0 : length;
            }
            catch (JsonException)
            {
                return 0;
            }
        }
    }
}
