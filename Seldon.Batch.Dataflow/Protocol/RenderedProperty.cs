using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>A property of an answer as the line writer writes it: its escaped name and its value's bytes, made once per
/// answer by <see cref="SharedJson"/> and copied into each line of it.</summary>
internal readonly record struct RenderedProperty(JsonEncodedText Name, ReadOnlyMemory<byte> Value)
{
    public void WriteTo(Utf8JsonWriter w)
    {
        w.WritePropertyName(Name);
        w.WriteRawValue(Value.Span, skipInputValidation: true);
    }
}
