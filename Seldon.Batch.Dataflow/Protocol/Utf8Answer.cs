using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Seldon.Batch.Dataflow;

/// <summary>An answer as UTF-8, as the codecs read it: the bytes the transport read, or its text's in a pooled buffer (a
/// client that answers strings); none when it is empty or its text is not valid UTF-16. <see cref="Return"/> gives the
/// buffer back.</summary>
internal readonly struct Utf8Answer
{
    private readonly byte[]? _rented;
    private readonly ReadOnlyMemory<byte> _memory;

    private Utf8Answer(ReadOnlyMemory<byte> memory, byte[]? rented)
    {
        _memory = memory;
        _rented = rented;
    }

    public bool IsValid => !_memory.IsEmpty;

    public ReadOnlySpan<byte> Bytes => _memory.Span;

    public ReadOnlyMemory<byte> Memory => _memory;

    public static Utf8Answer Of(AnswerBody answer) => answer.IsUtf8 ? new Utf8Answer(answer.Utf8, null) : Of(answer.Text);

    public static Utf8Answer Of(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return default;
        }

        var rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(text));
        if (Utf8.FromUtf16(text, rented, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done)
        {
            ArrayPool<byte>.Shared.Return(rented);
            return default;
        }

        return new Utf8Answer(rented.AsMemory(0, written), rented);
    }

    /// <summary>Gives the buffer back (after the document read from it is disposed).</summary>
    public void Return()
    {
        if (_rented is not null)
        {
            ArrayPool<byte>.Shared.Return(_rented);
        }
    }
}
