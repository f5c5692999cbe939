using System.Text.RegularExpressions;
using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>The same input through REST and gRPC against the same model writes the same output bytes, apart from the ids
/// each request makes anew. The built-in server writes its REST answers as the real servers do (Python's json: a float is
/// <c>186.0</c>, <c>1e+16</c>), and gRPC, which carries the same answer as doubles, must write them so too.</summary>
[Trait("Category", "Integration")]
public sealed partial class TransportParityTests : IClassFixture<DemoServerFixture>
{
    private readonly DemoServerFixture _fixture;

    public TransportParityTests(DemoServerFixture fixture) => _fixture = fixture;

    /// <summary>Floats whose doubles Python and .NET write differently: integral (186.0, -0.0), large (1e+16, 1.5e+16,
    /// 2e+300), small (2e-05, 5e-08), and plain ones.</summary>
    private static readonly string[] FloatRows =
    [
        "[0.5, 1.25, 93.0, 0.0]",
        "[5e15, 1e-5, 0.05, -2.5]",
        "[123456.789, 2.5e-8, 7.5e15, 0.3]",
        "[1.5, -0.0, 4.35, 1e300]",
        "[0.1, 2.0, 3.0, 1e-4]",
    ];

    private static string[] Lines(Func<string, string> line, int count = 12) =>
        [.. Enumerable.Range(0, count).Select(i => line(FloatRows[i % FloatRows.Length]))];

    public static TheoryData<string, int> SeldonCases => new()
    {
        { "ndarray", 1 }, { "ndarray", 5 }, { "tensor", 1 }, { "tensor", 5 }, { "raw", 1 }, { "raw", 5 },
    };

    [Theory]
    [MemberData(nameof(SeldonCases))]
    public async Task Seldon_answers_are_the_same_bytes_over_rest_and_grpc(string kind, int batchSize)
    {
        var (options, lines) = kind switch
        {
            "ndarray" => (Options(_fixture.Server, "rest").WithBlock(b => b with { BatchSize = batchSize }), Lines(row => $"[{row}]")),
            "tensor" => (Options(_fixture.Server, "rest").WithBlock(b => b with { BatchSize = batchSize, PayloadType = PayloadType.Tensor }), Lines(row => $"[{row}]")),
            _ => (Options(_fixture.Server, "rest").WithBlock(b => b with { BatchSize = batchSize, DataType = DataType.Raw }),
                Lines(row => """{"data":{"names":["a","b","c","d"],"ndarray":[""" + row + """]},"meta":{"tags":{"customer":7,"weight":0.5}}}""")),
        };

        await AssertSameBytesAsync(options, lines);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public async Task Open_inference_answers_are_the_same_bytes_over_rest_and_grpc(int batchSize)
    {
        var options = Options(_fixture.Server, "rest").WithEndpoint(e => e with { Protocol = InferenceProtocol.V2 }).WithBlock(b => b with { BatchSize = batchSize });

        await AssertSameBytesAsync(options, Lines(row => $"[{row}]"));
    }

    [Fact]
    public async Task A_seldon_answer_over_grpc_writes_floats_as_python_does()
    {
        var result = await RunAsync(Options(_fixture.Server, "grpc"), ["[[0.5, 93.0, 0.0, 5e15, 1e-5, 7.5e-3]]"]);

        Assert.Equal("[[1.0,186.0,0.0,1e+16,2e-05,0.015]]", result.Outputs[0]["data"]!["ndarray"]!.ToJsonString());
    }

    private async Task AssertSameBytesAsync(BatchOptions options, string[] lines)
    {
        var rest = await RunAsync(options, lines);
        var grpc = await RunAsync(options.WithEndpoint(e => e with { Host = $"127.0.0.1:{_fixture.Server.GrpcPort}", Transport = TransportType.Grpc }), lines);

        Assert.Equal(lines.Length, rest.Lines.Length);
        Assert.Equal(0, rest.Summary.Failed);
        for (var k = 0; k < lines.Length; k++)
        {
            Assert.Equal(WithoutIds(rest.Lines[k]), WithoutIds(grpc.Lines[k]));
        }
    }

    /// <summary>A line without the ids each request makes anew (the instance id, V2's inference id).</summary>
    private static string WithoutIds(string line) => Ids().Replace(line, "");

    [GeneratedRegex("\"(batch_instance_id|inference_id)\":\"[^\"]*\",?")]
    private static partial Regex Ids();
}
