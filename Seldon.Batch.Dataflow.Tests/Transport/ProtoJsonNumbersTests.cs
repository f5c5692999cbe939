using System.Globalization;
using System.Text;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The gRPC edges' short way from a JSON number to a double must give the very double
/// <see cref="Utf8JsonReader.TryGetDouble"/> gives, bit for bit, or leave the number to it.</summary>
public sealed class ProtoJsonNumbersTests
{
    // Digits with a point anywhere (or none), a sign or not: the data lines' numbers, and the edges of 15 digits.
    private static readonly Gen<string> Decimal =
        from digits in Gen.Choose(1, 18).SelectMany(n => Gen.ArrayOf(Gen.Choose(0, 9), n))
        from point in Gen.Choose(0, digits.Length)
        from negative in Gen.Elements(false, true)
        select Format(digits, point, negative);

    private static readonly Gen<string> Number = Gen.OneOf(
        Decimal,
        Gen.Choose(int.MinValue, int.MaxValue).Select(n => n.ToString(CultureInfo.InvariantCulture)),
        Gen.Choose(-1_000_000, 1_000_000).Select(n => (n / 997.0).ToString("R", CultureInfo.InvariantCulture)),
        Gen.Elements(
            "0", "-0", "0.0", "-0.0", "0.1", "0.2", "0.3", "5.1", "1.7976931348623157", "999999999999999", "9999999999999999",
            "123456789012345.6", "0.000000000000001", "0.0000000000000001", "4503599627370497", "9007199254740993",
            "1e21", "1E-7", "2.5e+3", "-4.9e-324", "1e308", "12345678901234567890"));

    [Fact]
    public void Numbers_give_the_reader_s_double_bit_for_bit()
    {
        var property = Prop.ForAll(Number.ToArbitrary(), text =>
        {
            var expected = Read(text, static (ref Utf8JsonReader r, out double v) => r.TryGetDouble(out v), out var expectedOk);
            var actual = Read(text, ProtoJsonNumbers.TryGetDouble, out var actualOk);
            Assert.Equal(expectedOk, actualOk);
            Assert.Equal(BitConverter.DoubleToInt64Bits(expected), BitConverter.DoubleToInt64Bits(actual));
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(5000).WithQuietOnSuccess(true), property);
    }

    [Theory]
    [InlineData("41", 41.0)]
    [InlineData("-0.25", -0.25)]
    [InlineData("5.1", 5.1)]
    [InlineData("100000000000000", 1e14)]
    public void Short_numbers_take_the_short_way(string text, double expected)
    {
        Assert.True(ProtoJsonNumbers.TryParseShort(Encoding.UTF8.GetBytes(text), out var value));
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("1e3")]
    [InlineData("1234567890123456")]
    [InlineData("0.0000000000000001")]
    [InlineData("-")]
    public void Exponents_and_long_numbers_are_left_to_the_reader(string text) =>
        Assert.False(ProtoJsonNumbers.TryParseShort(Encoding.UTF8.GetBytes(text), out _));

    [Fact]
    public void Negative_zero_keeps_its_sign() =>
        Assert.True(double.IsNegative(Read("-0", ProtoJsonNumbers.TryGetDouble, out _)));

    private delegate bool DoubleReader(ref Utf8JsonReader reader, out double value);

    private static double Read(string text, DoubleReader read, out bool ok)
    {
        var reader = new Utf8JsonReader(Encoding.UTF8.GetBytes($"[{text}]"));
        reader.Read();
        reader.Read();
        Assert.Equal(JsonTokenType.Number, reader.TokenType);
        ok = read(ref reader, out var value);
        return value;
    }

    private static string Format(int[] digits, int point, bool negative)
    {
        var text = new StringBuilder(negative ? "-" : "");
        var whole = digits[..point].SkipWhile(d => d == 0).ToArray(); // JSON allows no leading zeros
        text.Append(whole.Length == 0 ? "0" : string.Concat(whole));
        if (point < digits.Length)
        {
            text.Append('.').Append(string.Concat(digits[point..]));
        }

        return text.ToString();
    }
}
