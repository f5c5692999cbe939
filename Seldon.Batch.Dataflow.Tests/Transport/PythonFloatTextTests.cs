using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow.Transport;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>gRPC answers' doubles are written as Python writes a float, which is what the REST servers (Seldon's Python
/// wrapper, MLServer) write: the expected texts are Python 3's <c>repr</c> of the same doubles.</summary>
public sealed class PythonFloatTextTests
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
    [InlineData("2B456D913C0BFC13", "3.061491349432649e-100")]
    [InlineData("3341FDE73CC60842", "8.747133308193232e-62")]
    [InlineData("5D93BF78BC1D8977", "6.020321350932145e+142")]
    [InlineData("81FB58929356CC2E", "-4.083362299754826e-299")]
    [InlineData("CF7DD28333ADB83C", "-8.43063500908857e+74")]
    [InlineData("E44A6FC9AD7785AD", "-1.3077184956535392e+175")]
    [InlineData("C18FD63FDF8D53B0", "-66766843.94400728")]
    [InlineData("7E60DF30D5F61954", "5.649475195987161e+300")]
    [InlineData("B75ECFB53752145C", "-5.526516466403381e-42")]
    [InlineData("43D6C44A4C87F36A", "6.562071427314199e+18")]
    [InlineData("57BE0CBF01B4A96C", "4.625085911235745e+114")]
    [InlineData("67C7EEB2F9C6245A", "8.530487345624145e+191")]
    [InlineData("C594557B386ECA73", "-1.5732601957931314e+27")]
    [InlineData("67EADFF1BA23814C", "3.831706186183159e+192")]
    [InlineData("588DF12289B3A309", "3.775271167053524e+118")]
    [InlineData("92BDB98E97ED2981", "-2.1051476719444978e-218")]
    [InlineData("45AB861586D827EC", "4.2590964910701003e+27")]
    [InlineData("4502DF36D355DD53", "2.8518454789055375e+24")]
    [InlineData("B56F4983999505B9", "-2.613225894837392e-51")]
    [InlineData("8D460A374D9DC8F8", "-1.0087029219418353e-244")]
    [InlineData("4805085D1D658320", "8.946308761432919e+38")]
    [InlineData("9161915E7A373571", "-5.932692098673035e-225")]
    [InlineData("803197F9EC46AC5C", "-9.786796717658445e-308")]
    [InlineData("7EFC0606252BFA45", "4.8043927932457234e+303")]
    [InlineData("4101AC1800000000", "144771.0")]
    [InlineData("40F440A800000000", "82954.5")]
    [InlineData("C0F25E0400000000", "-75232.25")]
    [InlineData("40FD155AAAAAAAAB", "119125.66666666667")]
    [InlineData("40BB045C28F5C28F", "6916.36")]
    [InlineData("C0BC4D028F5C28F6", "-7245.01")]
    [InlineData("408803999999999A", "768.45")]
    [InlineData("4108CEA000000000", "203220.0")]
    [InlineData("41129486AAAAAAAB", "304417.6666666667")]
    [InlineData("C0820FCAC083126F", "-577.974")]
    [InlineData("C07C7FB645A1CAC1", "-455.982")]
    [InlineData("40F2CD4000000000", "77012.0")]
    [InlineData("410AC87000000000", "219406.0")]
    [InlineData("40964A6666666666", "1426.6")]
    [InlineData("C0BFCC2666666666", "-8140.15")]
    [InlineData("C0BAF211EB851EB8", "-6898.07")]
    [InlineData("C0BA986147AE147B", "-6808.38")]
    [InlineData("C0F978C000000000", "-104332.0")]
    [InlineData("4115F2C800000000", "359602.0")]
    [InlineData("40CB4C4CCCCCCCCD", "13976.6")]
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
