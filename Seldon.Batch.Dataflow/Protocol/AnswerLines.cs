using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Writes the output lines split from one answer into one buffer, then hands each its slice of a single
/// array: one allocation per answer instead of one per line (the file run writes the slices as they are). One per
/// thread (<see cref="ThreadBuffer{T}"/>); a splitter takes it, writes the answer's lines and finishes before it returns.</summary>
internal sealed class AnswerLines : IThreadBuffer<AnswerLines>
{
    private readonly ArrayBufferWriter<byte> _buffer = new(8192);
    private readonly Utf8JsonWriter _writer;
    private readonly List<(int Slot, long Index, int Start, int End, int AnswerStart, int AnswerEnd)> _lines = [];
    private readonly AnswerSpan _answer = new();

    private AnswerLines() => _writer = new Utf8JsonWriter(_buffer, SeldonJson.WriterOptions);

    int IThreadBuffer<AnswerLines>.Capacity => _buffer.Capacity;

    /// <summary>This thread's writer, emptied.</summary>
    public static AnswerLines Start() => ThreadBuffer<AnswerLines>.Take();

    static AnswerLines IThreadBuffer<AnswerLines>.Create() => new();

    void IThreadBuffer<AnswerLines>.Clear()
    {
        _buffer.ResetWrittenCount();
        _lines.Clear();
    }

    /// <summary>Writes the JSON object of the line for input line <paramref name="index"/>, to go to <c>results[slot]</c>;
    /// <paramref name="body"/> marks the model's answer in it on the <see cref="AnswerSpan"/> it is given.</summary>
    public void Write<TState>(int slot, long index, TState state, Action<Utf8JsonWriter, AnswerSpan, TState> body)
    {
        var start = _buffer.WrittenCount;
        _writer.Reset(_buffer);
        _answer.Clear();
        _writer.WriteStartObject();
        body(_writer, _answer, state);
        _writer.WriteEndObject();
        _writer.Flush();
        _lines.Add((slot, index, start, _buffer.WrittenCount, _answer.Start, _answer.End));
    }

    /// <summary>Writes the line for input line <paramref name="index"/> from the answer's <paramref name="template"/>, to
    /// go to <c>results[slot]</c>.</summary>
    public void Write(int slot, long index, LineTemplate template, string id, int item, ReadOnlySpan<JsonElement> rows) =>
        Write(slot, index, template, id, item, new LineTemplate.RowsFiller(rows));

    /// <summary>Writes the line for input line <paramref name="index"/> from the answer's <paramref name="template"/>, its
    /// own holes filled by <paramref name="filler"/>, to go to <c>results[slot]</c>.</summary>
    public void Write<TFiller>(int slot, long index, LineTemplate template, string id, int item, TFiller filler)
        where TFiller : LineTemplate.IFiller, allows ref struct
    {
        var start = _buffer.WrittenCount;
        var (answerStart, answerEnd) = template.Write(_buffer, index, IdBytes(id), item, filler);
        _lines.Add((slot, index, start, _buffer.WrittenCount, answerStart, answerEnd));
    }

    // The ASCII bytes of the last id a line was written with: the lines of a request share its id, which is then made
    // bytes once rather than once a line.
    private string? _id;
    private byte[] _idBytes = new byte[64];
    private int _idLength;

    /// <summary>The ASCII bytes of the plain <paramref name="id"/>, valid until the next call.</summary>
    private ReadOnlySpan<byte> IdBytes(string id)
    {
        if (!ReferenceEquals(id, _id))
        {
            if (_idBytes.Length < id.Length)
            {
                _idBytes = new byte[id.Length];
            }

            _idLength = Encoding.ASCII.GetBytes(id, _idBytes);
            _id = id;
        }

        return _idBytes.AsSpan(0, _idLength);
    }

    /// <summary>Puts each line written into its slot of <paramref name="results"/>, as a slice of one array, its
    /// prediction a slice of its line.</summary>
    public void Finish(InstanceResult[] results)
    {
        // Every byte is copied over at once: no need to clear the array first.
        var all = GC.AllocateUninitializedArray<byte>(_buffer.WrittenCount);
        _buffer.WrittenSpan.CopyTo(all);
        foreach (var (slot, index, start, end, answerStart, answerEnd) in _lines)
        {
            var answered = answerStart >= 0 && answerEnd >= answerStart;
            results[slot] = new InstanceResult(
                index, new ReadOnlyMemory<byte>(all, start, end - start), null, answered ? answerStart : 0, answered ? answerEnd - answerStart : 0);
        }

        _lines.Clear();
        ThreadBuffer<AnswerLines>.Finished(this);
    }
}
