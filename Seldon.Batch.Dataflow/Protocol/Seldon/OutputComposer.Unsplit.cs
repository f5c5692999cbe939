using System.Buffers;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>An answer that is not split (every request at batch size 1): written from the remembered template of the
/// last answer whose bytes around its ndarray are this one's, without reading it as a document.</summary>
internal sealed partial class OutputComposer
{
    /// <summary>One in this many unsplit answers that cannot take the remembered template records its own: the first
    /// answer of a run, a model that changed its answer's shape after at most this many, and, for a model whose answers
    /// always differ (a request id in their meta), one template written in vain per this many answers.</summary>
    private const int RecordEvery = 16;

    /// <summary>Deeper ndarrays are read as documents (the document's own limit is 256 levels, from the answer's root).</summary>
    private static readonly JsonReaderOptions RowsReaderOptions = new() { MaxDepth = 64 };

    /// <summary>Bytes an ndarray's raw text must not hold to be written as it is: whitespace (the writer drops it) and
    /// quotes (a string may be unescaped and escaped again; and without strings the ndarray has no property names, so
    /// none that repeat).</summary>
    private static readonly SearchValues<byte> RewrittenBytes = SearchValues.Create(" \t\r\n\""u8);

    private static readonly SearchValues<byte> JsonSpace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>The unsplit answers read as documents (see <see cref="RecordEvery"/>).</summary>
    private int _unsplitRead;

    /// <summary>The line of <paramref name="member"/> from the remembered template, when the answer's bytes around its
    /// ndarray are those the template was made from and the ndarray's bytes are what the line writer would write (numbers,
    /// literals and arrays of them, no whitespace, nesting within <see cref="RowsReaderOptions"/>); null otherwise.</summary>
    /// <remarks>The answer parses as the one the template was made from, but its ndarray: its bytes around the ndarray
    /// are that answer's, and the ndarray is one complete JSON array, so the reader's state after it is the one after
    /// that answer's ndarray. Its status, meta, tags and other fields are that answer's, which was not a failure.</remarks>
    private InstanceResult[]? TakeRemembered(BatchMember member, ReadOnlySpan<byte> answer)
    {
        if (Remembered(member, answer, out var rows) is not { } template)
        {
            return null;
        }

        var (id, item) = member.TemplateId;
        var results = new InstanceResult[1];
        var lines = AnswerLines.Start();
        lines.Write(0, member.Index, template, id, item, new RawItems(rows[1..^1]));
        lines.Finish(results);
        return results;
    }

    /// <summary>Whether the line of <paramref name="member"/> for <paramref name="answer"/> would be written from the
    /// remembered template (for the tests: the lines are the same either way).</summary>
    internal bool TakesRemembered(BatchMember member, string answer)
    {
        var utf8 = Utf8Answer.Of(answer);
        try
        {
            return Remembered(member, utf8.Bytes, out _) is not null;
        }
        finally
        {
            utf8.Return();
        }
    }

    /// <summary>The remembered template, when the line of <paramref name="member"/> for <paramref name="answer"/> can take
    /// it, with the answer's ndarray (<paramref name="rows"/>, brackets included); null otherwise.</summary>
    private LineTemplate? Remembered(BatchMember member, ReadOnlySpan<byte> answer, out ReadOnlySpan<byte> rows)
    {
        rows = default;
        var last = Volatile.Read(ref _lastTemplate);
        return last is not null && member.UserTags is null && SeldonJson.IsPlain(member.TemplateId.Id)
            && last.Holds(TrimSpace(answer), out rows) && IsPlainArray(rows) ? last.Template : null;
    }

    /// <summary>The one line of an unsplit answer read as a document; now and then (see <see cref="RecordEvery"/>) its
    /// template is recorded for the answers after it.</summary>
    private InstanceResult[] AnswerAlone(BatchMember member, JsonElement message)
    {
        var layout = new AnswerLayout(message);
        var hasData = message.TryGetProperty("data", out var data);
        if (hasData && data.ValueKind == JsonValueKind.Object && data.TryGetProperty("ndarray", out var ndarray)
            && ndarray.ValueKind == JsonValueKind.Array && (Interlocked.Increment(ref _unsplitRead) & (RecordEvery - 1)) == 1)
        {
            // The template of a split answer's lines: the whole ndarray in the rows' hole is the line of the whole answer.
            RecordTemplate(layout, new Part(data, "ndarray", ndarray, [], 1), message);
        }

        return Answer(member, layout, new Part(hasData ? data : default));
    }

    private static ReadOnlySpan<byte> TrimSpace(ReadOnlySpan<byte> bytes)
    {
        var start = bytes.IndexOfAnyExcept(JsonSpace);
        return start < 0 ? default : bytes[start..(bytes.LastIndexOfAnyExcept(JsonSpace) + 1)];
    }

    /// <summary>Whether <paramref name="rows"/> is one JSON array, written as the line writer writes it.</summary>
    private static bool IsPlainArray(ReadOnlySpan<byte> rows)
    {
        if (rows.Length < 2 || rows[0] != (byte)'[' || rows[^1] != (byte)']' || rows.ContainsAny(RewrittenBytes))
        {
            return false;
        }

        var reader = new Utf8JsonReader(rows, RowsReaderOptions);
        try
        {
            return reader.Read() && reader.TrySkip() && reader.BytesConsumed == rows.Length;
        }
        catch (JsonException)
        {
            // Not JSON, or nested deeper than the reader's limit: the document reports it, or reads it.
            return false;
        }
    }

    /// <summary>The rows' hole filled with an ndarray's raw items, without its brackets.</summary>
    private readonly ref struct RawItems(ReadOnlySpan<byte> items) : LineTemplate.IFiller
    {
        private readonly ReadOnlySpan<byte> _items = items;

        public void Fill(ArrayBufferWriter<byte> buffer, LineTemplate.Part part, int output) => LineTemplate.Put(buffer, _items);
    }
}
