using System.Buffers;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

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

    /// <summary>Writes the properties as rendered when they are, else from the document.</summary>
    public static void WriteProperties(Utf8JsonWriter w, RenderedProperty[]? rendered, JsonProperty[] properties)
    {
        if (rendered is not null)
        {
            foreach (var p in rendered)
            {
                p.WriteTo(w);
            }

            return;
        }

        foreach (var p in properties)
        {
            p.WriteTo(w);
        }
    }

    public RenderedProperty Property(JsonProperty property) =>
        new(JsonEncodedText.Encode(property.Name, SeldonJson.WriterOptions.Encoder), Value(property.Value));
}
