using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;
using static Seldon.Batch.Dataflow.Tests.Fixtures.RawBatch;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>Bad input files, written byte for byte: the run never crashes, and output line k always answers input
/// line k, as a prediction or as an error record that says why.</summary>
[Trait("Category", "Integration")]
public sealed class BadInputTests : IClassFixture<DemoServerFixture>
{
    private static readonly byte[] Bom = [0xEF, 0xBB, 0xBF];

    private readonly DemoServerFixture _fixture;

    public BadInputTests(DemoServerFixture fixture) => _fixture = fixture;

    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    public static TheoryData<string, int> TransportsAndBatchSizes => new()
    {
        { "rest", 1 }, { "rest", 3 }, { "grpc", 1 }, { "grpc", 3 },
    };

    private BatchOptions Options(string transport) => BatchHarness.Options(_fixture.Server, transport);

    [Theory]
    [MemberData(nameof(TransportsAndBatchSizes))]
    public async Task Blank_and_whitespace_only_lines_become_blank_line_error_records(string transport, int batchSize)
    {
        var input = Utf8("[[1]]\n\n   \n\t \t\n\r\n[[2]]\n");
        var result = await RunFileAsync(Options(transport).WithBlock(b => b with { BatchSize = batchSize }), input);

        AssertOrdered(result, 6);
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertNdarray(result, 0, "[[2]]");
        for (var k = 1; k <= 4; k++)
        {
            AssertError(result, k, "blank line", OutputComposer.UnsentCode);
        }

        AssertNdarray(result, 5, "[[4]]");
        Assert.Equal(2, result.Summary.Succeeded);
        Assert.Equal(4, result.Summary.Failed);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_byte_order_mark_at_the_start_is_ignored(string transport)
    {
        var input = Concat(Bom, Utf8("[[1, 2]]\r\n[[3]]\r\n"));
        var result = await RunFileAsync(Options(transport), input);

        AssertOrdered(result, 2);
        AssertNdarray(result, 0, "[[2, 4]]");
        AssertNdarray(result, 1, "[[6]]");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_file_that_is_only_a_byte_order_mark_is_an_empty_file(string transport)
    {
        var result = await RunFileAsync(Options(transport), Bom);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.Empty(result.Outputs);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Crlf_endings_are_read_as_line_ends_and_a_lone_cr_is_not_one(string transport)
    {
        var input = Utf8("[[1]]\r\n[[2]]\r[[3]]\r\n\r\n[[4]]\r\r\n[[5]]\r\n");
        var result = await RunFileAsync(Options(transport), input);

        AssertOrdered(result, 5);
        AssertNdarray(result, 0, "[[2]]");
        // A '\r' alone does not end a line: "[[2]]\r[[3]]" is one line, and not one JSON document.
        AssertError(result, 1, "invalid JSON", OutputComposer.UnsentCode);
        AssertError(result, 2, "blank line", OutputComposer.UnsentCode);
        // Only the '\r' before '\n' is dropped; the one left is JSON whitespace.
        AssertNdarray(result, 3, "[[8]]");
        AssertNdarray(result, 4, "[[10]]");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Invalid_utf8_is_replaced_and_the_line_fails_alone(string transport)
    {
        var input = Concat(
            Utf8("[[\"a"), [0xFF], Utf8("b\"]]\n"),  // valid JSON once replaced: a string the model cannot double
            Utf8("[[1, "), [0xC3], Utf8("]]\n"),      // a truncated sequence where a number should be
            Utf8("[[2]]"), [0xFE, 0xFE], Utf8("\n"),  // trailing garbage after a good document
            [0xC0, 0x80], Utf8("\n"),                 // an overlong NUL alone on its line
            Utf8("[[3]]\n"));
        var result = await RunFileAsync(Options(transport).WithBlock(b => b with { MaxAttempts = 1 }), input);

        AssertOrdered(result, 5);
        AssertError(result, 0, transport == "grpc" ? "Internal" : "MICROSERVICE_INTERNAL_ERROR", transport == "grpc" ? 13 : 500);
        AssertError(result, 1, "invalid JSON", OutputComposer.UnsentCode);
        AssertError(result, 2, "invalid JSON", OutputComposer.UnsentCode);
        AssertError(result, 3, "invalid JSON", OutputComposer.UnsentCode);
        AssertNdarray(result, 4, "[[6]]");
    }

    [Fact]
    public async Task A_20_MB_line_succeeds_over_rest()
    {
        var (input, count) = HugeInput();
        var result = await RunFileAsync(Options("rest").WithBlock(b => b with { Workers = 2 }), input);

        AssertOrdered(result, 3);
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertNdarray(result, 0, "[[2]]");
        var doubled = Numbers(result.Outputs[1]["data"]!["ndarray"]);
        Assert.Equal(count, doubled.Length);
        Assert.All(doubled, v => Assert.Equal(2.0, v));
        AssertNdarray(result, 2, "[[6]]");
    }

    [Fact]
    public async Task A_20_MB_line_over_grpc_with_the_default_4_MiB_limit_becomes_an_error_record()
    {
        var (input, _) = HugeInput();
        var result = await RunFileAsync(Options("grpc").WithBlock(b => b with { Workers = 2, MaxAttempts = 1 }), input);

        AssertOrdered(result, 3);
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertNdarray(result, 0, "[[2]]");
        // The client refuses to send a message over --grpc-max-message-size: ResourceExhausted (8).
        AssertError(result, 1, "ResourceExhausted", 8);
        AssertError(result, 1, "message size");
        AssertNdarray(result, 2, "[[6]]");
        Assert.Equal(2, result.Summary.Succeeded);
        Assert.Equal(1, result.Summary.Failed);
    }

    [Fact]
    public async Task A_grpc_message_over_the_size_limit_is_not_retried()
    {
        var (input, _) = HugeInput();
        var result = await RunFileAsync(Options("grpc").WithBlock(b => b with { Workers = 1, MaxAttempts = 3 }), input);

        AssertOrdered(result, 3);
        AssertError(result, 1, "ResourceExhausted", 8);
        Assert.Equal(0, result.Summary.Retries);
    }

    [Theory]
    [MemberData(nameof(TransportsAndBatchSizes))]
    public async Task Ragged_arrays_with_the_tensor_payload_fail_alone(string transport, int batchSize)
    {
        var input = Utf8("[[1, 2], [3, 4]]\n[[1, 2], [3]]\n[[5, 6]]\n[[1], [2, 3]]\n[[7, 8]]\n[1, [2]]\n");
        var result = await RunFileAsync(Options(transport).WithBlock(b => b with { PayloadType = PayloadType.Tensor, BatchSize = batchSize }), input);

        AssertOrdered(result, 6);
        AssertTensor(result, 0, "[2,2]", [2, 4, 6, 8]);
        AssertError(result, 1, "wrong shape: ragged array", OutputComposer.UnsentCode);
        AssertTensor(result, 2, "[1,2]", [10, 12]);
        AssertError(result, 3, "wrong shape: ragged array", OutputComposer.UnsentCode);
        AssertTensor(result, 4, "[1,2]", [14, 16]);
        AssertError(result, 5, "wrong shape: ragged array", OutputComposer.UnsentCode);
        Assert.Equal(3, result.Summary.Succeeded);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Non_numeric_values_in_data_become_model_error_records(string transport)
    {
        var input = Utf8("[[\"a\", \"b\"]]\n[[1, \"x\"]]\n[[true]]\n[[null]]\n[[{\"k\": 1}]]\n[[1]]\n");
        var result = await RunFileAsync(Options(transport).WithBlock(b => b with { MaxAttempts = 1 }), input);

        AssertOrdered(result, 6);
        for (var k = 0; k < 5; k++)
        {
            AssertError(result, k, transport == "grpc" ? "gRPC" : "HTTP 500");
            Assert.NotEqual(OutputComposer.UnsentCode, result.Outputs[k]["status"]!["code"]!.GetValue<int>());
        }

        AssertNdarray(result, 5, "[[2]]");
        Assert.Equal(1, result.Summary.Succeeded);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Other_names_in_a_raw_micro_batch_start_a_request_of_their_own(string transport)
    {
        static string Raw(string names, string rows, int row) =>
            $"{{\"data\": {{\"names\": {names}, \"ndarray\": {rows}}}, \"meta\": {{\"tags\": {{\"row\": {row}}}}}}}\n";
        var input = Utf8(
            Raw("[\"a\", \"b\"]", "[[1, 2]]", 0) +
            Raw("[\"a\", \"b\"]", "[[3, 4]]", 1) +
            Raw("[\"x\", \"y\"]", "[[5, 6]]", 2) +
            Raw("[\"a\", \"b\"]", "[[7, 8]]", 3) +
            Raw("[\"x\", \"y\"]", "[[9, 10]]", 4));
        var result = await RunFileAsync(Options(transport).WithBlock(b => b with { DataType = DataType.Raw, BatchSize = 4 }), input);

        AssertOrdered(result, 5);
        AssertNdarray(result, 0, "[[2, 4]]");
        AssertNdarray(result, 1, "[[6, 8]]");
        AssertNdarray(result, 2, "[[10, 12]]"); // other names: sent in a request of its own, answered
        AssertNdarray(result, 3, "[[14, 16]]");
        AssertNdarray(result, 4, "[[18, 20]]");
        for (var k = 0; k < 5; k++)
        {
            Assert.Equal(k, Tags(result.Outputs[k])["row"]!.GetValue<double>());
        }

        // The first micro-batch in three runs (a, b | x, y | a, b), the second in one.
        Assert.Equal(4, result.Summary.Requests);
        Assert.Equal(0, result.Summary.Failed);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task The_last_line_needs_no_newline(string transport)
    {
        var result = await RunFileAsync(Options(transport), Utf8("[[1]]\n[[2]]"));

        AssertOrdered(result, 2);
        AssertNdarray(result, 0, "[[2]]");
        AssertNdarray(result, 1, "[[4]]");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_empty_file_gives_an_empty_output_and_completes(string transport)
    {
        var result = await RunFileAsync(Options(transport), []);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.Null(result.Summary.StopReason);
        Assert.Empty(result.Outputs);
        Assert.Equal(0, result.Summary.Instances);
        Assert.Equal(0, result.Summary.Requests);
    }

    [Theory]
    [MemberData(nameof(TransportsAndBatchSizes))]
    public async Task A_file_of_only_newlines_gives_one_blank_line_error_record_per_line(string transport, int batchSize)
    {
        var result = await RunFileAsync(Options(transport).WithBlock(b => b with { BatchSize = batchSize }), Utf8("\n\n\r\n\n"));

        AssertOrdered(result, 4);
        // No request was sent, so the model was not found unreachable: the run completes.
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.Equal(0, result.Summary.Requests);
        for (var k = 0; k < 4; k++)
        {
            AssertError(result, k, "blank line", OutputComposer.UnsentCode);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Deeply_nested_lines_fail_alone_without_crashing(string transport)
    {
        static string Nested(int depth) => new string('[', depth) + "1" + new string(']', depth);
        var input = Utf8($"{Nested(2)}\n{Nested(5000)}\n{Nested(200)}\n[[3]]\n");
        var result = await RunFileAsync(Options(transport).WithBlock(b => b with { MaxAttempts = 1 }), input);

        AssertOrdered(result, 4);
        AssertNdarray(result, 0, "[[2]]");
        AssertError(result, 1, "invalid JSON", OutputComposer.UnsentCode);
        // 200 levels are within the reader's limit: whatever the transport makes of it, it is this line's outcome.
        Assert.True(IsError(result.Outputs[2]) ? Reason(result.Outputs[2]).Length > 0 : result.Outputs[2]["data"] is not null);
        AssertNdarray(result, 3, "[[6]]");
    }

    public static TheoryData<string, int, DataType, string> LoneSurrogateLines => new()
    {
        // A JSON escape of half a surrogate pair parses, but throws InvalidOperationException when written again.
        { "rest", 2, DataType.Data, "[[\"\\ud800\"]]" },
        { "grpc", 2, DataType.Data, "[[\"\\ud800\"]]" },
        { "rest", 1, DataType.Raw, "{\"data\": {\"ndarray\": [[1]]}, \"meta\": {\"tags\": {\"u\": \"\\ud800\"}}}" },
        { "grpc", 2, DataType.Raw, "{\"data\": {\"ndarray\": [[1]]}, \"meta\": {\"tags\": {\"u\": \"\\ud800\"}}}" },
        { "rest", 2, DataType.Raw, "{\"data\": {\"names\": [\"\\ud800\"], \"ndarray\": [[1]]}}" },
    };

    [Theory]
    [MemberData(nameof(LoneSurrogateLines))]
    public async Task A_lone_surrogate_escape_fails_its_line_alone(string transport, int batchSize, DataType dataType, string line)
    {
        var good = dataType == DataType.Raw ? "{\"data\": {\"ndarray\": [[1]]}}" : "[[1]]";
        var input = Utf8($"{good}\n{line}\n{good}\n");
        var result = await RunFileAsync(Options(transport).WithBlock(b => b with { BatchSize = batchSize, DataType = dataType, MaxAttempts = 1 }), input);

        AssertOrdered(result, 3);
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertNdarray(result, 0, "[[2]]");
        AssertError(result, 1, "invalid JSON", OutputComposer.UnsentCode);
        AssertNdarray(result, 2, "[[2]]");
    }

    private static void AssertTensor(BatchResult result, int k, string shape, double[] values)
    {
        var output = result.Outputs[k];
        Assert.False(IsError(output), $"line {k} should be a prediction: {Shorten(result.Lines[k])}");
        var tensor = output["data"]!["tensor"]!;
        Assert.Equal(shape, tensor["shape"]!.ToJsonString());
        Assert.Equal(values, Numbers(tensor["values"]));
    }

    /// <summary>A small line, a line of about 20 MB (one row of numbers that parse as 1), a small line.</summary>
    private static (byte[] Input, int Count) HugeInput()
    {
        // Long literals keep the node count (and the test's time) down while the line stays about 20 MB; the
        // count still makes the protobuf message (about 11 bytes a number) larger than gRPC's 4 MiB.
        var one = "1." + new string('0', 41) + "1";
        var count = 20_000_000 / (one.Length + 1);
        var huge = "[[" + string.Join(",", Enumerable.Repeat(one, count)) + "]]";
        return (Utf8("[[1]]\n" + huge + "\n[[3]]\n"), count);
    }
}
