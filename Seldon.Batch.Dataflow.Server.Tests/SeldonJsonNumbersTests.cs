using System.Buffers;
using System.Text;
using System.Text.Json;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>The demo server writes the floats of its answers as the real Seldon server does, with Python's json: the
/// expected texts are Python 3's <c>repr</c> of the same doubles.</summary>
public sealed class SeldonJsonNumbersTests
{
    [Theory]
    [InlineData("0000000000000000", "0.0")]
    [InlineData("8000000000000000", "-0.0")]
    [InlineData("3FF0000000000000", "1.0")]
    [InlineData("4067400000000000", "186.0")]
    [InlineData("4058400000000000", "97.0")]
    [InlineData("3FE0000000000000", "0.5")]
    [InlineData("3FB999999999999A", "0.1")]
    [InlineData("4341C37937E08000", "1e+16")]
    [InlineData("430C6BF526340000", "1000000000000000.0")]
    [InlineData("4341C37937E07FFF", "9999999999999998.0")]
    [InlineData("3F1A36E2EB1C432D", "0.0001")]
    [InlineData("3EE4F8B588E368F1", "1e-05")]
    [InlineData("3E8421F5F40D8376", "1.5e-07")]
    [InlineData("437B69B4BA630F35", "1.2345678901234568e+17")]
    [InlineData("444B1AE4D6E2EF50", "1e+21")]
    [InlineData("4480F0CF064DD592", "1e+22")]
    [InlineData("7FE1CCF385EBC8A0", "1e+308")]
    [InlineData("0000000000000001", "5e-324")]
    [InlineData("0010000000000000", "2.2250738585072014e-308")]
    [InlineData("7FEFFFFFFFFFFFFF", "1.7976931348623157e+308")]
    [InlineData("3FD3333333333334", "0.30000000000000004")]
    [InlineData("3FD5555555555555", "0.3333333333333333")]
    [InlineData("3FE5555555555555", "0.6666666666666666")]
    [InlineData("4059000000000000", "100.0")]
    [InlineData("40934A0000000000", "1234.5")]
    [InlineData("3F5437C5692B3CC5", "0.001234")]
    [InlineData("43E56A95319D63E1", "1.2345678901234567e+19")]
    [InlineData("BEFA36E2EB1C432D", "-2.5e-05")]
    [InlineData("400921FB54442D18", "3.141592653589793")]
    [InlineData("54B249AD2594C37D", "1e+100")]
    [InlineData("4011666666666666", "4.35")]
    [InlineData("4340000000000000", "9007199254740992.0")]
    [InlineData("43E0000000000000", "9.223372036854776e+18")]
    [InlineData("C067400000000000", "-186.0")]
    [InlineData("3F202C9DEDBC309D", "0.0001234")]
    [InlineData("3EE9E0FCAF9380FC", "1.234e-05")]
    [InlineData("3E7AD7F29ABCAF48", "1e-07")]
    [InlineData("4024000000000000", "10.0")]
    [InlineData("4376345785D8A000", "1e+17")]
    [InlineData("42DC12218377DE66", "123456789012345.6")]
    [InlineData("43118B54F22AEB03", "1234567890123456.8")]
    [InlineData("3EFA36E2EB1C432D", "2.5e-05")]
    [InlineData("44DFE185CA57C517", "6.02214076e+23")]
    [InlineData("BC079CA10C924223", "-1.6e-19")]
    [InlineData("1F70D5DC2E675FC7", "3.06552934678117e-157")]
    [InlineData("72E63AC7A9538322", "3.035696215253337e+245")]
    [InlineData("3D4FA08455A5B465", "2.2472348792584413e-13")]
    [InlineData("F3B08F6932AC2B62", "-1.8526013531417184e+249")]
    [InlineData("A0D0E9B47D50E092", "-1.2916966173120972e-150")]
    [InlineData("2ED764B27E790E8B", "4.8167443657415405e-83")]
    [InlineData("4BA417007AD25F92", "2.4630085746064913e+56")]
    [InlineData("E3089C7A75553000", "-1.1610238555702954e+169")]
    [InlineData("3234C93C43B84218", "7.709984025703843e-67")]
    [InlineData("E6342C1C40F91904", "-2.142855636483753e+184")]
    [InlineData("1E353F29B11F0DE6", "3.689558970492252e-163")]
    [InlineData("85A8BB9B530E60CB", "-2.128962589459719e-281")]
    [InlineData("C32F9525ACC10A6C", "-4444856661345590.0")]
    [InlineData("2CA106EDC9843FAA", "1.0203547078809698e-93")]
    [InlineData("F796EF6EDDAE9B60", "-1.1832603381587204e+268")]
    [InlineData("CFA2F9F4F1ABD893", "-4.291633367590936e+75")]
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
