using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>A split answer (batch size above 1) written from the remembered template of the last answer whose bytes around
/// its ndarray are this one's, without reading it as a document: the ndarray is read once, cut into its rows, and each
/// line is the template with its own rows' bytes in the hole.</summary>
internal sealed partial class OutputComposer
{
    /// <summary>The rows' ends in the ndarray of the answer being split on this thread (offsets from the ndarray's '[').</summary>
    [ThreadStatic]
    private static int[]? t_rowEnds;

    /// <summary>The lines of a split answer from the remembered template, when every sent member's line can take it (no
    /// user tags, a plain id), the answer's bytes around its ndarray are those the template was made from, and its ndarray
    /// is as the line writer writes it (see <see cref="IsPlainArray"/>) with one item per row sent; null otherwise, and
    /// the answer is read as a document.</summary>
    /// <remarks>The answer then parses as the one the template was made from but its ndarray (see
    /// <see cref="TakeRemembered"/>), and the document path would split it with that same template: every line takes it,
    /// every item being verbatim (<see cref="LineTemplate.IsVerbatim"/>).</remarks>
    private InstanceResult[]? TakeRememberedSplit(EncodedBatch batch, ReadOnlyMemory<byte> answer)
    {
        var last = Volatile.Read(ref _lastTemplate);
        if (last is null || batch.Members.Count < 2 || !AllTakeTemplate(batch))
        {
            return null;
        }

        var span = answer.Span;
        var from = span.IndexOfAnyExcept(JsonSpace);
        if (from < 0 || !last.Holds(span[from..(span.LastIndexOfAnyExcept(JsonSpace) + 1)], out var rows) || rows.ContainsAny(RewrittenBytes))
        {
            return null;
        }

        var total = batch.SentRows;
        var ends = t_rowEnds is { } kept && kept.Length >= total ? kept : t_rowEnds = new int[Math.Max(total, 32)];
        if (!TryCutRows(rows, ends.AsSpan(0, total)))
        {
            return null;
        }

        return MemberLines.Split(this, batch, new RememberedLine(last.Template, answer.Slice(from + last.Head, rows.Length), ends));
    }

    /// <summary>Whether the lines of <paramref name="batch"/> for <paramref name="answer"/> would be written from the
    /// remembered template without reading the answer as a document (for the tests: the lines are the same either way).</summary>
    internal bool TakesRememberedSplit(EncodedBatch batch, string answer)
    {
        var utf8 = Utf8Answer.Of(answer);
        try
        {
            return batch.IsSplit && utf8.IsValid && TakeRememberedSplit(batch, utf8.Memory) is not null;
        }
        finally
        {
            utf8.Return();
        }
    }

    /// <summary>Whether every sent member's line can be written from a template (see <see cref="SplitLine"/>).</summary>
    private static bool AllTakeTemplate(EncodedBatch batch)
    {
        for (var k = 0; k < batch.Members.Count; k++)
        {
            var m = batch.Members[k];
            if (m.IsSent && (m.UserTags is not null || !SeldonJson.IsPlain(m.TemplateId.Id)))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Reads <paramref name="rows"/> (an ndarray without whitespace or strings) once, as <see cref="IsPlainArray"/>
    /// does, putting the end of item k at <c>ends[k]</c>; false when it is not one JSON array of exactly
    /// <c>ends.Length</c> items.</summary>
    private static bool TryCutRows(ReadOnlySpan<byte> rows, Span<int> ends)
    {
        if (rows.Length < 2 || rows[0] != (byte)'[' || rows[^1] != (byte)']')
        {
            return false;
        }

        var reader = new Utf8JsonReader(rows, RowsReaderOptions);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartArray)
            {
                return false;
            }

            var count = 0;
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
            {
                if (count == ends.Length || !reader.TrySkip())
                {
                    return false;
                }

                ends[count++] = (int)reader.BytesConsumed;
            }

            return count == ends.Length && reader.TokenType == JsonTokenType.EndArray && reader.BytesConsumed == rows.Length;
        }
        catch (JsonException)
        {
            // Not JSON, or nested deeper than the reader's limit: the document reports it, or reads it.
            return false;
        }
    }

    /// <summary>The line of one sent member of a split answer taking the remembered template: its rows are the bytes of
    /// its items in the ndarray, commas between them (no whitespace: <see cref="TakeRememberedSplit"/>).</summary>
    private readonly struct RememberedLine(LineTemplate template, ReadOnlyMemory<byte> rows, int[] ends) : IMemberLine
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Write(AnswerLines lines, int slot, BatchMember member, int offset)
        {
            var (id, item) = member.TemplateId;
            var items = member.Rows == 0 ? default
                : rows.Span[(offset == 0 ? 1 : ends[offset - 1] + 1)..ends[offset + member.Rows - 1]];
            lines.Write(slot, member.Index, template, id, item, new RawItems(items));
        }
    }
}
