using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Microsoft.Extensions.ObjectPool;

namespace Seldon.Batch.Dataflow.Server;

/// <summary>
/// The scratch memory of one request: its body, its answer, and the JSON writer of the answer. Pooled, because
/// benchmarks send many small requests and fresh buffers for each would mostly measure the garbage collector.
/// </summary>
internal sealed class RequestBuffers : IResettable
{
    // A buffer grown by one huge request is let go rather than kept for ever by the pool.
    private const int MaxRetainedCapacity = 1024 * 1024;

    private static readonly JsonWriterOptions WriterOptions = new()
    {
        // The answers are read by programs, not embedded in HTML: no need to escape '+', '<' or non-ASCII text.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private readonly Utf8JsonWriter _writer;

    public RequestBuffers()
    {
        _writer = new Utf8JsonWriter(Answer, WriterOptions);
    }

    /// <summary>The request body as received.</summary>
    public ArrayBufferWriter<byte> Body { get; } = new(4096);

    /// <summary>The answer, complete once the writer returned by <see cref="StartAnswer"/> is flushed.</summary>
    public ArrayBufferWriter<byte> Answer { get; } = new(4096);

    /// <summary>Discards any answer written so far and returns a writer for a new one.</summary>
    public Utf8JsonWriter StartAnswer()
    {
        Answer.ResetWrittenCount();
        _writer.Reset(Answer);
        return _writer;
    }

    /// <inheritdoc />
    public bool TryReset()
    {
        if (Body.Capacity > MaxRetainedCapacity || Answer.Capacity > MaxRetainedCapacity)
        {
            return false;
        }

        Body.ResetWrittenCount();
        Answer.ResetWrittenCount();
        _writer.Reset(Answer);
        return true;
    }
}
