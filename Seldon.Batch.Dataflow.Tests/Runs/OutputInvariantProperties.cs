using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;
using static Seldon.Batch.Dataflow.Tests.Fixtures.RawBatch;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>Property: whatever the input file holds, the output has one line per input line, line k tagged with
/// batch_index k, every error record has a reason, and lines that cannot be sent are always error records.</summary>
[Trait("Category", "Integration")]
public sealed class OutputInvariantProperties : IClassFixture<DemoServerFixture>
{
    private readonly DemoServerFixture _fixture;

    public OutputInvariantProperties(DemoServerFixture fixture) => _fixture = fixture;

    /// <summary>What a generated line is, and so what its output may be.</summary>
    public enum Kind
    {
        Valid,
        CrTerminated,
        InvalidJson,
        Blank,
        Whitespace,
        NonNumeric,
        Ragged,
        HugeNumber,
        Unicode,
        Object,
        Scalar,
    }

    public sealed record Line(Kind Kind, string Text);

    public sealed record Case(string Transport, PayloadType Payload, int BatchSize, int Workers, Line[] Lines, bool TrailingNewline, bool Bom)
    {
        public override string ToString() =>
            $"{Transport}, {Payload}, batch size {BatchSize}, {Workers} workers, bom {Bom}, trailing newline {TrailingNewline}, lines: "
            + string.Join(" | ", Lines.Select(l => $"{l.Kind} {System.Text.Json.JsonSerializer.Serialize(l.Text)}"));
    }

    private static readonly Gen<string> Number = Gen.Choose(-1000, 1000).Select(n => n.ToString(System.Globalization.CultureInfo.InvariantCulture));

    private static readonly Gen<string> ValidRow =
        from cols in Gen.Choose(1, 3)
        from numbers in Gen.ArrayOf(Number, cols)
        select "[[" + string.Join(", ", numbers) + "]]";

    private static readonly Gen<Line> AnyLine = Gen.Frequency(
        (6, ValidRow.Select(t => new Line(Kind.Valid, t))),
        (2, ValidRow.Select(t => new Line(Kind.CrTerminated, t + "\r"))),
        (2, Gen.Elements("[[1,", "{", "]]", "[[1 2]]", "nul", "[[1]],", "\"unterminated", "[[1]] x", "[[01]]", "[[NaN]]")
            .Select(t => new Line(Kind.InvalidJson, t))),
        (1, Gen.Constant(new Line(Kind.Blank, ""))),
        (1, Gen.Elements(" ", "\t", "  \t  ", "\r").Select(t => new Line(Kind.Whitespace, t))),
        (2, Gen.Elements("[[\"a\"]]", "[[true]]", "[[1, \"x\"]]", "[[null]]", "[[{}]]").Select(t => new Line(Kind.NonNumeric, t))),
        (2, Gen.Elements("[[1], [2, 3]]", "[[1, 2], [3]]", "[1, [2]]").Select(t => new Line(Kind.Ragged, t))),
        (2, Gen.Elements("[[1e308]]", "[[123456789012345678901234567890]]", "[[-1.7976931348623157e308]]", "[[1e400]]", "[[9223372036854775808]]")
            .Select(t => new Line(Kind.HugeNumber, t))),
        // Lone surrogate escapes ("\ud800") are left out: they crash the run (BadInputTests.A_lone_surrogate_escape_fails_its_line_alone).
        (2, Gen.Elements("[[\"héllo\"]]", "[[\"✓ 𝄞 日本\"]]", "[[\"\\u0000\"]]", "[[\"\\u00e9\", 1]]")
            .Select(t => new Line(Kind.Unicode, t))),
        (1, Gen.Elements("{\"a\": 1}", "{}", "{\"data\": {\"ndarray\": [[1]]}}").Select(t => new Line(Kind.Object, t))),
        (1, Gen.Elements("1", "\"text\"", "null", "true").Select(t => new Line(Kind.Scalar, t))));

    private static readonly Gen<Case> Cases =
        from transport in Gen.Elements("rest", "grpc")
        from payload in Gen.Elements(PayloadType.Ndarray, PayloadType.Tensor)
        from batchSize in Gen.Choose(1, 5)
        from workers in Gen.Choose(1, 8)
        from count in Gen.Choose(0, 40)
        from lines in Gen.ArrayOf(AnyLine, count)
        from trailing in Gen.Elements(true, false)
        from bom in Gen.Elements(true, false)
        select new Case(transport, payload, batchSize, workers, lines, trailing, bom);

    [Fact]
    public async Task Every_input_line_has_its_output_line_in_order()
    {
        var property = Prop.ForAll(Cases.ToArbitrary(), (Case c) => CheckAsync(c).GetAwaiter().GetResult());
        // Blocking is fine on a thread-pool thread: there is no synchronisation context to deadlock on.
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(30).WithQuietOnSuccess(true), property));
    }

    private async Task CheckAsync(Case c)
    {
        var text = new StringBuilder();
        for (var i = 0; i < c.Lines.Length; i++)
        {
            text.Append(c.Lines[i].Text);
            if (i < c.Lines.Length - 1 || c.TrailingNewline)
            {
                text.Append('\n');
            }
        }

        var bytes = Encoding.UTF8.GetBytes(text.ToString());
        if (c.Bom && bytes.Length > 0)
        {
            bytes = Concat([0xEF, 0xBB, 0xBF], bytes);
        }

        // A last line that is empty and unterminated is no line at all.
        var expected = c.Lines.Length - (!c.TrailingNewline && c.Lines.Length > 0 && c.Lines[^1].Text.Length == 0 ? 1 : 0);
        var options = BatchHarness.Options(_fixture.Server, c.Transport).WithBlock(b => b with { PayloadType = c.Payload, BatchSize = c.BatchSize, Workers = c.Workers, MaxAttempts = 1 });
        var result = await RunFileAsync(options, bytes);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertOrdered(result, expected);
        Assert.Equal(expected, result.Summary.Instances);
        Assert.Equal(expected, result.Summary.Succeeded + result.Summary.Failed);
        for (var k = 0; k < expected; k++)
        {
            var output = result.Outputs[k];
            var kind = c.Lines[k].Kind;
            if (IsError(output))
            {
                Assert.False(string.IsNullOrWhiteSpace(Reason(output)), $"line {k} ({kind}) has an error record without a reason");
            }
            else
            {
                Assert.NotNull(output["data"]);
            }

            switch (kind)
            {
                case Kind.InvalidJson or Kind.Blank or Kind.Whitespace or Kind.Object or Kind.Scalar:
                    // Never sent: always an error record of its own.
                    AssertError(result, k, "", OutputComposer.UnsentCode);
                    break;
                case Kind.Ragged when c.Payload == PayloadType.Tensor:
                    AssertError(result, k, "ragged", OutputComposer.UnsentCode);
                    break;
                case Kind.NonNumeric or Kind.Unicode:
                    // Strings, booleans and nulls cannot be doubled: sent or not, the line fails.
                    Assert.True(IsError(output), $"line {k} ({kind}) should be an error record: {Shorten(result.Lines[k])}");
                    break;
                case Kind.Valid or Kind.CrTerminated when c.BatchSize == 1:
                    var row = c.Lines[k].Text.TrimEnd('\r');
                    var expectedValues = Numbers(System.Text.Json.Nodes.JsonNode.Parse(row)).Select(v => 2 * v).ToArray();
                    var data = output["data"];
                    Assert.False(IsError(output), $"line {k} ({kind}) should be a prediction: {Shorten(result.Lines[k])}");
                    Assert.Equal(expectedValues, Numbers(c.Payload == PayloadType.Tensor ? data!["tensor"]!["values"] : data!["ndarray"]));
                    break;
            }
        }
    }
}
