using FsCheck;
using FsCheck.Fluent;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The Seldon answer's ndarray written from wire bytes without the JSON writer (<c>SeldonProtoJson.TryWriteNumberList</c>,
/// the number-list path) must give the writer path's bytes for every ndarray of lists and finite numbers, and give way
/// (nothing written) for anything else.</summary>
public sealed class SeldonNumberListProperties
{
    private static readonly Gen<double> Number = Gen.OneOf(
        Gen.Choose(-1000, 1000).Select(n => (double)n),
        Gen.Choose(-100000, 100000).Select(n => n / 997.0),
        Gen.Choose(-100000, 100000).Select(n => (double)(float)(n / 31.0)),
        Gen.Choose(int.MinValue, int.MaxValue).Two().Select(t => BitConverter.Int64BitsToDouble(((long)t.Item1 << 32) | (uint)t.Item2)).Where(double.IsFinite),
        Gen.Elements(0.0, -0.0, 1e16, 1e-5, 1e-4, 123456789012345678.0, double.MaxValue, double.Epsilon, 0.1, 2.5e-300));

    private static readonly Gen<Value> Odd = Gen.Elements(
        Value.ForString("s"), Value.ForBool(true), Value.ForNull(), Value.ForNumber(double.NaN), Value.ForNumber(double.PositiveInfinity),
        Value.ForStruct(new Struct { Fields = { ["k"] = Value.ForNumber(1) } }), new Value());

    private static Gen<Value> List(int depth, bool odd) => Gen.Choose(0, depth > 1 ? 4 : 6)
        .SelectMany(n => Gen.ArrayOf(Item(depth, odd), n))
        .Select(values => Value.ForList(values));

    private static Gen<Value> Item(int depth, bool odd)
    {
        var number = Number.Select(Value.ForNumber);
        var plain = depth > 1 ? Gen.Frequency((1, number), (2, List(depth - 1, odd))) : number;
        return odd ? Gen.Frequency((12, plain), (1, Odd)) : plain;
    }

    /// <summary>The object <c>{"ndarray":…}</c> of the ListValue <paramref name="payload"/> as the number-list path writes
    /// it (null where it gives way) and as the general writer writes it (null where that throws).</summary>
    private static (byte[]? NumberList, byte[]? Writer) NdarrayTexts(byte[] payload)
    {
        byte[]? numberList = null, writer = null;
        try
        {
            numberList = SeldonJson.WriteUtf8Object(payload, static (w, p) =>
            {
                w.WritePropertyName("ndarray"u8);
                if (!SeldonProtoJson.TryWriteNumberList(w, p))
                {
                    throw new SeldonProtoJson.NotPlainException();
                }
            });
        }
        catch (SeldonProtoJson.NotPlainException)
        {
        }

        try
        {
            writer = SeldonJson.WriteUtf8Object(payload, static (w, p) =>
            {
                w.WritePropertyName("ndarray"u8);
                SeldonProtoJson.WriteList(w, new SeldonProtoJson.WireReader(p), 1, floats: true);
            });
        }
        catch (SeldonProtoJson.NotPlainException)
        {
        }

        return (numberList, writer);
    }

    private static void HoldsToWriter(Value ndarray, bool mustTake)
    {
        var (numberList, writer) = NdarrayTexts(ndarray.ListValue.ToByteArray());
        if (mustTake)
        {
            Assert.NotNull(numberList);
        }

        if (numberList is not null)
        {
            Assert.NotNull(writer);
            Assert.Equal(System.Text.Encoding.UTF8.GetString(writer), System.Text.Encoding.UTF8.GetString(numberList));
        }
    }

    [Fact]
    public void Lists_of_numbers_give_the_writer_s_bytes()
    {
        var property = Prop.ForAll(Gen.Choose(1, 5).SelectMany(depth => List(depth, odd: false)).ToArbitrary(), v => HoldsToWriter(v, mustTake: true));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Lists_with_other_values_give_the_writer_s_bytes_or_give_way()
    {
        var property = Prop.ForAll(Gen.Choose(1, 5).SelectMany(depth => List(depth, odd: true)).ToArbitrary(), v => HoldsToWriter(v, mustTake: false));
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000).WithQuietOnSuccess(true), property);
    }

    [Fact]
    public void Deep_and_long_lists_give_the_writer_s_bytes_or_give_way_where_it_fails()
    {
        for (var depth = 1; depth < 20; depth++)
        {
            var value = Value.ForNumber(1.5);
            for (var k = 0; k < depth; k++)
            {
                value = Value.ForList(value);
            }

            var (numberList, writer) = NdarrayTexts(value.ListValue.ToByteArray());
            Assert.Equal(writer is null, numberList is null);
            Assert.Equal(writer, numberList);
        }

        var rows = Value.ForList([.. Enumerable.Range(0, 500).Select(r => Value.ForList(Value.ForNumber(r / 7.0), Value.ForNumber(-r), Value.ForNumber(1e300)))]);
        HoldsToWriter(rows, mustTake: true);
    }

    [Fact]
    public void Damaged_bytes_give_way()
    {
        var bytes = Value.ForList(Value.ForNumber(1), Value.ForList(Value.ForNumber(2))).ListValue.ToByteArray();
        for (var cut = 0; cut < bytes.Length; cut++)
        {
            var (numberList, writer) = NdarrayTexts(bytes[..cut]);
            Assert.True(numberList is null || numberList.AsSpan().SequenceEqual(writer));
        }
    }
}
