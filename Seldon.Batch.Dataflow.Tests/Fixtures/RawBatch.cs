using System.Text;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>Runs the real file-to-file batch on an input given as exact bytes (the shared harness joins lines with
/// "\n", which cannot express a BOM, CRLF, invalid UTF-8 or a missing final newline) and reads the output back
/// strictly: valid UTF-8, every line '\n'-terminated, every line one JSON object.</summary>
internal static class RawBatch
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>Line i is <c>[[i, -i, 0.5]]</c>: its prediction must be <c>[[2i, -2i, 1]]</c>.</summary>
    public static byte[] NumberedInput(int count) =>
        Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, count).Select(i => $"[[{i}, {-i}, 0.5]]\n")));

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();

    /// <summary>Runs <paramref name="options"/> on a file holding exactly <paramref name="input"/>, by
    /// <see cref="BatchRun"/> or by <paramref name="run"/> (a run on a fake clock: <see cref="FakeClock.RunAsync"/>).</summary>
    public static async Task<BatchResult> RunFileAsync(BatchOptions options, byte[] input, Func<BatchOptions, Task<RunSummary>>? run = null)
    {
        var dir = Directory.CreateTempSubdirectory("sbd-reliability-");
        try
        {
            var inputPath = Path.Combine(dir.FullName, "input.txt");
            var outputPath = Path.Combine(dir.FullName, "output.txt");
            await File.WriteAllBytesAsync(inputPath, input);
            var summary = await (run ?? (o => BatchRun.RunAsync(o)))(options with { InputDataPath = inputPath, OutputDataPath = outputPath });

            // Completed: the output is in place and no side file is left. Otherwise the prefix is in the side file only, and
            // a run that wrote nothing leaves no side file (and its summary names no output).
            Assert.Equal(summary.Outcome == RunOutcome.Completed, File.Exists(outputPath));
            Assert.Equal(summary.Outcome != RunOutcome.Completed && summary.OutputPath is not null, File.Exists(outputPath + ".partial"));
            var bytes = summary.OutputPath is { } written ? await File.ReadAllBytesAsync(written) : [];
            var text = StrictUtf8.GetString(bytes);
            Assert.False(text.StartsWith('\uFEFF'), "the output must not start with a byte-order mark");
            if (text.Length > 0)
            {
                Assert.True(text.EndsWith('\n'), "every output line, the last included, ends with \\n");
            }

            var lines = text.Length == 0 ? [] : text[..^1].Split('\n');
            Assert.All(lines, l => Assert.DoesNotContain('\r', l));
            var outputs = lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToArray();
            return new BatchResult(summary, lines, outputs);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>Asserts line <paramref name="k"/> is an error record with a non-empty reason containing
    /// <paramref name="reasonPart"/> and, when given, the status code <paramref name="code"/>.</summary>
    public static void AssertError(BatchResult result, int k, string reasonPart, int? code = null)
    {
        var output = result.Outputs[k];
        Assert.True(BatchHarness.IsError(output), $"line {k} should be an error record: {Shorten(result.Lines[k])}");
        var status = output["status"]!;
        Assert.Equal("FAILURE", status["info"]!.GetValue<string>());
        var reason = BatchHarness.Reason(output);
        Assert.False(string.IsNullOrWhiteSpace(reason), $"line {k} has an empty reason");
        Assert.Contains(reasonPart, reason, StringComparison.OrdinalIgnoreCase);
        if (code is { } c)
        {
            Assert.Equal(c, status["code"]!.GetValue<int>());
        }

        Assert.Null(output["data"]);
    }

    /// <summary>Asserts line <paramref name="k"/> is a prediction whose ndarray holds <paramref name="expected"/>
    /// (compared as numbers: REST and gRPC write them differently).</summary>
    public static void AssertNdarray(BatchResult result, int k, string expected)
    {
        var output = result.Outputs[k];
        Assert.False(BatchHarness.IsError(output), $"line {k} should be a prediction: {Shorten(result.Lines[k])}");
        Assert.Equal(Numbers(JsonNode.Parse(expected)), Numbers(output["data"]!["ndarray"]));
    }

    /// <summary>The start of a line, for assertion messages (a 20 MB line would drown the report).</summary>
    public static string Shorten(string line) => line.Length <= 400 ? line : line[..400] + $"… ({line.Length} chars)";

    /// <summary>The numbers of a nested JSON array, in order.</summary>
    public static double[] Numbers(JsonNode? node) => node switch
    {
        JsonArray a => a.SelectMany(Numbers).ToArray(),
        JsonValue v => [v.GetValue<double>()],
        _ => throw new InvalidOperationException($"not a number: {node?.ToJsonString() ?? "null"}"),
    };

    /// <summary>A port that was free a moment ago (bound to port 0, then released).</summary>
    public static int FreePort() => LoopbackPort.Free();

    /// <summary>Starts a server on fixed ports, trying again for a few seconds while the ports are still held.</summary>
    public static async Task<DemoModelServer> StartOnAsync(ServeOptions options)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            try
            {
                return await DemoModelServer.StartAsync(options);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }
}
