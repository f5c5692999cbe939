using System.Buffers;
using System.Text;
using System.Text.Json;
using Seldon.Batch.Dataflow.Server;
using Seldon.Batch.Dataflow.Tests.Fixtures;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>The demo server writes the floats of its answers as the real Seldon server does, with Python's json: the
/// expected texts are Python 3's <c>repr</c> of the same doubles.</summary>
public sealed class SeldonJsonNumbersTests
{
    [Theory]
    [MemberData(nameof(PythonFloatReprs.All), MemberType = typeof(PythonFloatReprs))]
    public void Floats_are_written_as_python_writes_them(string bits, string python)
    {
        var value = BitConverter.Int64BitsToDouble(Convert.ToInt64(bits, 16));

        Assert.Equal(python, Write(w => SeldonJsonNumbers.WriteFloating(w, value)));
    }

    [Theory]
    [InlineData(0.1f, "0.1")]
    [InlineData(2f, "2.0")]
    [InlineData(1e16f, "1e+16")]
    [InlineData(3.4028235e38f, "3.4028235e+38")]
    [InlineData(1.5e-7f, "1.5e-07")]
    public void Floats_of_single_precision_keep_their_shortest_digits(float value, string python) =>
        Assert.Equal(python, Write(w => SeldonJsonNumbers.WriteFloating(w, value)));

    [Fact]
    public void Numbers_json_cannot_hold_are_strings() =>
        Assert.Equal("[\"NaN\",\"Infinity\",\"-Infinity\"]", Write(w =>
        {
            w.WriteStartArray();
            SeldonJsonNumbers.WriteFloating(w, double.NaN);
            SeldonJsonNumbers.WriteFloating(w, double.PositiveInfinity);
            SeldonJsonNumbers.WriteFloating(w, double.NegativeInfinity);
            w.WriteEndArray();
        }));

    private static string Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
