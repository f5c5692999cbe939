using System.Buffers;
using System.IO.Pipelines;
using System.Runtime.CompilerServices;

namespace Seldon.Batch.Dataflow;

/// <summary>Streams the lines of a run's records as UTF-8 bytes, without decoding them: a table output parses each
/// record straight from its bytes.</summary>
internal static class RecordLines
{
    /// <summary>The lines of <paramref name="records"/> (not disposed here), each without its line end. A line's memory is
    /// valid until the next one is asked for.</summary>
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(Stream records, [EnumeratorCancellation] CancellationToken ct)
    {
        var reader = PipeReader.Create(records, new StreamPipeReaderOptions(bufferSize: 1 << 16, leaveOpen: true));
        var joined = new ArrayBufferWriter<byte>();
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(ct).ConfigureAwait(false);
                var buffer = read.Buffer;
                if (buffer.IsSingleSegment)
                {
                    // Nearly always: the lines are cut from one piece of memory, without a sequence's positions.
                    var memory = buffer.First;
                    var consumed = 0;
                    int at;
                    while ((at = memory.Span[consumed..].IndexOf((byte)'\n')) >= 0)
                    {
                        yield return memory.Slice(consumed, at);
                        consumed += at + 1;
                    }

                    buffer = buffer.Slice(consumed);
                }

                while (buffer.PositionOf((byte)'\n') is { } end)
                {
                    yield return Contiguous(buffer.Slice(0, end), joined);
                    buffer = buffer.Slice(buffer.GetPosition(1, end));
                }

                if (read.IsCompleted)
                {
                    // Records end with a line end; a last line without one is still a record.
                    if (!buffer.IsEmpty)
                    {
                        yield return Contiguous(buffer, joined);
                    }

                    break;
                }

                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        finally
        {
            await reader.CompleteAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The line as one piece of memory: itself when it is one, else copied into <paramref name="joined"/>.</summary>
    private static ReadOnlyMemory<byte> Contiguous(ReadOnlySequence<byte> line, ArrayBufferWriter<byte> joined)
    {
        if (line.IsSingleSegment)
        {
            return line.First;
        }

        joined.ResetWrittenCount();
        foreach (var segment in line)
        {
            joined.Write(segment.Span);
        }

        return joined.WrittenMemory;
    }
}
