using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>Runs the real file-to-file batch against a server and reads the output back.</summary>
internal static class BatchHarness
{
    public static BatchOptions Options(DemoModelServer server, string transport) => Options(
        transport == "grpc" ? server.GrpcPort : server.RestPort, transport);

    public static BatchOptions Options(int port, string transport) => new()
    {
        Endpoint = Endpoint(port, transport),
        Block = BlockOptions,
    };

    /// <summary>The endpoint of the demo model on <paramref name="port"/> over <paramref name="transport"/>.</summary>
    public static EndpointSettings Endpoint(int port, string transport) => new()
    {
        DeploymentName = "demo",
        Gateway = GatewayType.Seldon,
        Host = $"127.0.0.1:{port}",
        Transport = transport == "grpc" ? TransportType.Grpc : TransportType.Rest,
        Timeout = TimeSpan.FromSeconds(20),
    };

    /// <summary>The block's settings of the tests: four workers and a fixed batch id.</summary>
    public static PredictionBlockOptions BlockOptions { get; } = new() { Workers = 4, BatchId = "test-batch" };

    /// <summary>A client of <paramref name="server"/> over <paramref name="transport"/>, as a library user makes it.</summary>
    public static IPredictionClient Client(DemoModelServer server, string transport) =>
        PredictionClients.Create(Endpoint(transport == "grpc" ? server.GrpcPort : server.RestPort, transport));

    /// <summary>Runs <paramref name="options"/> on a file of <paramref name="inputLines"/>, by <see cref="BatchRun"/> or
    /// by <paramref name="run"/> (a run on a fake clock: <see cref="FakeClock.RunAsync"/>).</summary>
    public static async Task<BatchResult> RunAsync(BatchOptions options, IEnumerable<string> inputLines, Func<BatchOptions, Task<RunSummary>>? run = null)
    {
        var dir = Directory.CreateTempSubdirectory("sbd-test-");
        try
        {
            var input = Path.Combine(dir.FullName, "input.txt");
            var output = Path.Combine(dir.FullName, "output.txt");
            await File.WriteAllTextAsync(input, string.Concat(inputLines.Select(l => l + "\n")));
            var summary = await (run ?? (o => BatchRun.RunAsync(o)))(options with { InputDataPath = input, OutputDataPath = output });
            // A run that did not complete leaves its ordered prefix in the side file and nothing at the output path; one
            // that wrote nothing leaves no side file either, and its summary names no output.
            Assert.Equal(summary.Outcome == RunOutcome.Completed, File.Exists(output));
            Assert.Equal(summary.OutputPath is not null, File.Exists(summary.Outcome == RunOutcome.Completed ? output : output + ".partial"));
            var text = summary.OutputPath is { } written ? await File.ReadAllTextAsync(written) : "";
            var lines = text.Length == 0 ? [] : text.TrimEnd('\n').Split('\n');
            Assert.EndsWith("\n", text.Length == 0 ? "\n" : text);
            return new BatchResult(summary, lines, lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToArray());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    public static long BatchIndex(JsonObject output) => output["meta"]!["tags"]!["batch_index"]!.GetValue<long>();

    public static JsonObject Tags(JsonObject output) => output["meta"]!["tags"]!.AsObject();

    /// <summary>Asserts the output contract: one line per input line, line k tagged with batch_index k.</summary>
    public static void AssertOrdered(BatchResult result, int expectedLines)
    {
        Assert.Equal(expectedLines, result.Outputs.Length);
        for (var k = 0; k < expectedLines; k++)
        {
            var tags = Tags(result.Outputs[k]);
            Assert.Equal(k, tags["batch_index"]!.GetValue<long>());
            Assert.Equal("test-batch", tags["batch_id"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(tags["batch_instance_id"]!.GetValue<string>()));
        }

        Assert.Equal(expectedLines, result.Outputs.Select(o => Tags(o)["batch_instance_id"]!.GetValue<string>()).Distinct().Count());
    }

    /// <summary>An output line without its instance id, which a re-sent instance gets anew.</summary>
    public static string WithoutInstanceId(string line)
    {
        var json = JsonNode.Parse(line)!.AsObject();
        json["meta"]!["tags"]!.AsObject().Remove("batch_instance_id");
        return json.ToJsonString();
    }

    public static bool IsError(JsonObject output) => output["status"]?["status"]?.GetValue<int>() == 1;

    public static string Reason(JsonObject output) => output["status"]!["reason"]!.GetValue<string>();
}

internal sealed record BatchResult(RunSummary Summary, string[] Lines, JsonObject[] Outputs);
