using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Protocol.OpenInference;

/// <summary>Property, over the Open Inference Protocol: whatever mix of row counts, widths, bad lines, batch sizes and
/// workers, every line gets its own output line at its position, a good line its own rows of the answer (doubled by the
/// demo model), a bad line an error record of its own.</summary>
[Trait("Category", "Integration")]
public sealed class OpenInferenceProperties : IClassFixture<DemoServerFixture>
{
    private readonly DemoServerFixture _fixture;

    public OpenInferenceProperties(DemoServerFixture fixture) => _fixture = fixture;

    public sealed record Line(bool Good, string Text, int Rows, int[] Values);

    public sealed record Case(string Transport, int BatchSize, int Workers, Line[] Lines)
    {
        public override string ToString() => $"{Transport}, batch size {BatchSize}, {Workers} workers: {string.Join(" | ", Lines.Select(l => l.Text))}";
    }

    private static readonly Gen<Line> GoodLine =
        from rows in Gen.Choose(1, 3)
        from cols in Gen.Choose(1, 3)
        from values in Gen.ArrayOf(Gen.Choose(-1000, 1000), rows * cols)
        select new Line(true, "[" + string.Join(", ", values.Chunk(cols).Select(r => "[" + string.Join(", ", r) + "]")) + "]", rows, values);

    private static readonly Gen<Line> BadLine = Gen.Elements("[[1,", "", "{\"a\": 1}", "[[1], [2, 3]]", "[[\"x\"]]", "7").Select(t => new Line(false, t, 0, []));

    private static readonly Gen<Case> Cases =
        from transport in Gen.Elements("rest", "grpc")
        from batchSize in Gen.Choose(1, 6)
        from workers in Gen.Choose(1, 8)
        from count in Gen.Choose(0, 30)
        from lines in Gen.ArrayOf(Gen.Frequency((5, GoodLine), (1, BadLine)), count)
        select new Case(transport, batchSize, workers, lines);

    [Fact]
    public async Task Every_line_gets_its_own_rows_or_its_own_error_record()
    {
        var property = Prop.ForAll(Cases.ToArbitrary(), (Case c) => CheckAsync(c).GetAwaiter().GetResult());
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(25).WithQuietOnSuccess(true), property));
    }

    private async Task CheckAsync(Case c)
    {
        var options = OpenInferenceMatrixTests.V2(_fixture.Server, c.Transport).WithBlock(b => b with { BatchSize = c.BatchSize, Workers = c.Workers, MaxAttempts = 1 });
        var result = await RunAsync(options, c.Lines.Select(l => l.Text));

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.Equal(c.Lines.Length, result.Outputs.Length);
        for (var k = 0; k < c.Lines.Length; k++)
        {
            var output = result.Outputs[k];
            Assert.Equal(k, output["parameters"]!["batch_index"]!.GetValue<long>());
            if (!c.Lines[k].Good)
            {
                Assert.Equal(400, output["error"]!["code"]!.GetValue<int>());
                continue;
            }

            Assert.Null(output["error"]);
            var tensor = output["outputs"]![0]!;
            Assert.Equal(c.Lines[k].Rows, tensor["shape"]![0]!.GetValue<long>());
            Assert.Equal(c.Lines[k].Values.Select(v => 2.0 * v), tensor["data"]!.AsArray().Select(v => v!.GetValue<double>()));
        }
    }
}
