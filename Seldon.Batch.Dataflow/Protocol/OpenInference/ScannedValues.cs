using System.Buffers;
using System.Text.Json;

namespace Seldon.Batch.Dataflow.Protocol.OpenInference;

/// <summary>The values of a data line scanned without a document (<see cref="NdarrayScanner"/>): their bytes as the
/// document's elements would write them, in row-major order, in a buffer rented from the shared pool until the request
/// is written.</summary>
internal sealed class ScannedValues(byte[] bytes, int[] bounds) : IDisposable
{
    private byte[]? _bytes = bytes;

    /// <summary>Writes the values, one JSON value each, into the open array of <paramref name="w"/>.</summary>
    public void WriteTo(Utf8JsonWriter w)
    {
        var bytes = _bytes ?? throw new ObjectDisposedException(nameof(ScannedValues));
        for (var k = 0; k < bounds.Length; k += 2)
        {
            w.WriteRawValue(bytes.AsSpan(bounds[k], bounds[k + 1] - bounds[k]), skipInputValidation: true);
        }
    }

    public void Dispose()
    {
        if (_bytes is { } bytes)
        {
            _bytes = null;
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }
}
