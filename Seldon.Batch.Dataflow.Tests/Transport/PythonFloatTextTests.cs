using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow.Tests.Fixtures;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>gRPC answers' doubles are written as Python writes a float, which is what the REST servers (Seldon's Python
/// wrapper, MLServer) write: the expected texts are Python 3's <c>repr</c> of the same doubles.</summary>
public sealed class PythonFloatTextTests
{
    [Theory]
    [MemberData(nameof(PythonFloatReprs.All), MemberType = typeof(PythonFloatReprs))]
    public void Doubles_are_written_as_python_writes_them(string bits, string python)
    {
        var value = BitConverter.Int64BitsToDouble(Convert.ToInt64(bits, 16));

        Assert.Equal(python, Text(value));
    }

    /// <summary>Any bit pattern, and numbers as people write them (<c>-7245.01</c>, <c>1.5e-07</c>).</summary>
    private static readonly Gen<double> Doubles = Gen.OneOf(
        from high in Gen.Choose(int.MinValue, int.MaxValue)
        from low in Gen.Choose(int.MinValue, int.MaxValue)
        select BitConverter.Int64BitsToDouble(((long)high << 32) | (uint)low),
        from digits in Gen.Choose(-10_000_000, 10_000_000)
        from power in Gen.Choose(-30, 30)
        select double.Parse($"{digits}e{power}", CultureInfo.InvariantCulture));

    [Fact]
    public void Every_double_reads_back_the_same_with_the_shortest_digits_in_python_s_layout()
    {
        var property = Prop.ForAll(Doubles.Where(double.IsFinite).ToArbitrary(), value =>
        {
            var text = Text(value);
            Assert.Equal(BitConverter.DoubleToInt64Bits(value), BitConverter.DoubleToInt64Bits(double.Parse(text, CultureInfo.InvariantCulture)));
            var exponent = text.IndexOf('e', StringComparison.Ordinal);
            Assert.Equal(Digits(value.ToString("R", CultureInfo.InvariantCulture).Split('E')[0]), Digits(exponent < 0 ? text : text[..exponent]));
            if (exponent < 0)
            {
                Assert.Contains('.', text); // always a float: 186.0
                Assert.DoesNotContain("..", text);
            }
            else
            {
                var power = int.Parse(text[(exponent + 1)..], CultureInfo.InvariantCulture);
                Assert.True(power < -4 || power >= 16, text);
                Assert.Matches(@"^-?\d(\.\d*[1-9])?e[+-]\d{2,3}$", text);
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(3000).WithQuietOnSuccess(true), property);
    }

    /// <summary>The significant digits of a mantissa: no sign, no point, no leading or trailing zeros.</summary>
    private static string Digits(string mantissa) =>
        mantissa.Replace("-", "", StringComparison.Ordinal).Replace(".", "", StringComparison.Ordinal).Trim('0');

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Only_finite_numbers_have_a_text(double value) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Text(value));

    private static string Text(double value)
    {
        Span<byte> text = stackalloc byte[PythonFloatText.MaxLength];
        return Encoding.ASCII.GetString(text[..PythonFloatText.Format(value, text)]);
    }
}
