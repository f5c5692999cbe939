using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

/// <summary>The merge key of a line, which a line like the one before takes over rather than building again: two lines of
/// one input and no parameters share a key exactly when their input's name, datatype and inner shape agree, whatever came
/// before them on the thread.</summary>
public sealed class MergeKeyProperties
{
    private sealed record Tensor(string Name, string Datatype, long[] Shape)
    {
        public override string ToString() => $"{Name} {Datatype} [{string.Join(',', Shape)}]";
    }

    private static readonly Gen<Tensor> Tensors =
        from name in Gen.Elements("x", "y", "x\u0001")
        from datatype in Gen.Elements("FP64", "INT64", "FP32")
        from dimensions in Gen.Choose(1, 3)
        from shape in Gen.ArrayOf(Gen.Choose(0, 3).Select(d => (long)d), dimensions)
        select new Tensor(name, datatype, shape);

    [Fact]
    public void Lines_share_a_key_exactly_when_name_datatype_and_inner_shape_agree()
    {
        var property = Prop.ForAll(Gen.ArrayOf(Tensors, 6).ToArbitrary(), tensors =>
        {
            var keys = tensors.Select(t => Request(t).MergeKey).ToArray();
            for (var a = 0; a < tensors.Length; a++)
            {
                for (var b = 0; b < tensors.Length; b++)
                {
                    var same = tensors[a].Name == tensors[b].Name && tensors[a].Datatype == tensors[b].Datatype
                        && tensors[a].Shape.Skip(1).SequenceEqual(tensors[b].Shape.Skip(1));
                    Assert.True(same == (keys[a] == keys[b]), $"{tensors[a]} and {tensors[b]}: keys {keys[a]} and {keys[b]}");
                }
            }
        });
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(500).WithQuietOnSuccess(true), property);
    }

    private static LineRequest Request(Tensor t) =>
        new([new LineTensor(t.Name, t.Datatype, [.. t.Shape], [], default)], default, default, null);
}
