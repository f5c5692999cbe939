using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Writes the small JSON documents stored next to outputs (plans, checkpoints) with <see cref="Utf8JsonWriter"/>:
/// no reflection, so the native (AOT) build needs nothing generated for them.</summary>
internal static class SmallJson
{
    public static byte[] Write(Action<Utf8JsonWriter> writeObjectBody)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            writeObjectBody(json);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
