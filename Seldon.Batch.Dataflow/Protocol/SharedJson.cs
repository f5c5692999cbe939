using System.Buffers;
using System.Text.Json;

namespace Seldon.Batch.Dataflow.Protocol;

/// <summary>Writes parts of one answer once, with the options of the line writer, so that each line of the answer
/// copies their bytes instead of writing them from the document again (escaping each string again). Used by the
/// Seldon composer and the Open Inference splitter alike.</summary>
internal sealed class SharedJson
{
    private readonly ArrayBufferWriter<byte> _buffer = new(512);
    private readonly Utf8JsonWriter _writer;

    public SharedJson() => _writer = new Utf8JsonWriter(_buffer, SeldonJson.WriterOptions);

    public ReadOnlyMemory<byte> Value(JsonElement value)
    {
        var start = _buffer.WrittenCount;
        value.WriteTo(_writer);
        _writer.Flush();
        _writer.Reset();

        // A buffer that grows moves to a new array; the bytes already handed out stay valid in the old one.
        return _buffer.WrittenMemory[start..];
    }

    public RenderedProperty Property(JsonProperty property) =>
        new(JsonEncodedText.Encode(property.Name, SeldonJson.WriterOptions.Encoder), Value(property.Value));
}
