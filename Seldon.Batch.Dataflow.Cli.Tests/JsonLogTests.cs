using System.Globalization;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary><c>--log-format json</c>: stderr read back line by line, as a log store (Loki, Elasticsearch) reads it.</summary>
[Trait("Category", "Integration")]
public sealed class JsonLogTests : IDisposable
{
    private static readonly string[] Levels = ["debug", "info", "warning", "error"];
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-json-");

    public void Dispose() => _dir.Delete(recursive: true);

    [Fact]
    public async Task Every_stderr_line_is_a_json_object_with_the_fixed_fields_the_batch_id_and_the_message_fields()
    {
        // The model refuses the first request with a 429: the retry's debug message has fields of its own.
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailFirst = 1, FailStatus = 429, GrpcPort = -1 });
        var (input, output) = await FilesAsync(20, bad: 2);

        var (code, _, stderr) = await RunAsync(
            ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{server.RestPort}", "-u", "json-batch", "-i", input, "-o", output, "-l", "debug", "--log-format", "json"]);

        Assert.True(code == 0, stderr);
        var lines = Parse(stderr);
        Assert.True(lines.Count >= 3, stderr);
        var runId = lines[0]["run_id"]!.GetValue<string>();
        Assert.Matches("^[0-9a-f]{32}$", runId);
        foreach (var line in lines)
        {
            var time = line["time"]!.GetValue<string>();
            Assert.EndsWith("Z", time);
            Assert.Equal(TimeSpan.Zero, DateTimeOffset.Parse(time, CultureInfo.InvariantCulture).Offset);
            Assert.Contains(line["level"]!.GetValue<string>(), Levels);
            Assert.False(string.IsNullOrEmpty(line["logger"]!.GetValue<string>()));
            Assert.False(string.IsNullOrEmpty(line["message"]!.GetValue<string>()));
            Assert.Equal(runId, line["run_id"]!.GetValue<string>());
            Assert.Null(line["{OriginalFormat}"]);
            // No span is recorded without an exporter.
            Assert.Null(line["trace_id"]);
        }

        // The message is rendered, and its template's values are fields of their own.
        var start = Assert.Single(lines, l => l["message"]!.GetValue<string>().StartsWith("Processing ", StringComparison.Ordinal));
        Assert.Equal(input, start["Input"]!.GetValue<string>());
        Assert.Equal("json-batch", start["BatchId"]!.GetValue<string>());
        var retry = Assert.Single(lines, l => l["message"]!.GetValue<string>().Contains("trying again", StringComparison.Ordinal));
        Assert.Equal("debug", retry["level"]!.GetValue<string>());
        Assert.NotNull(retry["Puid"]);
        Assert.NotNull(retry["Delay"]);
        // Every message of the run, once its batch is known, names it: the summary at the end too.
        Assert.Equal("json-batch", lines[^1]["batch_id"]!.GetValue<string>());
        Assert.Equal("json-batch", retry["batch_id"]!.GetValue<string>());
    }

    [Fact]
    public async Task The_variable_chooses_json_and_an_unknown_format_exits_2_naming_the_flag()
    {
        var (input, output) = await FilesAsync(1, bad: 1);

        var (invalid, _, invalidErr) = await RunAsync(["-d", "demo", "-i", input, "-o", output, "--log-format", "yaml"]);
        Assert.Equal(2, invalid);
        Assert.Contains("--log-format", invalidErr);
        Assert.Contains("text, json", invalidErr);

        // An invalid line needs no model: the run completes with its error record, logged in JSON.
        var (code, _, stderr) = await RunAsync(
            ["-d", "demo", "-g", "seldon", "-h", "127.0.0.1:1", "-i", input, "-o", output],
            new Dictionary<string, string> { ["SELDON_BATCH_LOG_FORMAT"] = "json" });
        Assert.True(code == 0, stderr);
        Assert.NotEmpty(Parse(stderr));
    }

    [Fact]
    public async Task With_traces_exported_the_run_s_messages_carry_its_trace_id()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1 });
        await using var receiver = await OtlpReceiver.StartAsync();
        var (input, output) = await FilesAsync(10, bad: 0);

        var (code, _, stderr) = await RunAsync(
            ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{server.RestPort}", "-i", input, "-o", output, "--log-format", "json"],
            receiver.Environment());

        Assert.True(code == 0, stderr);
        var run = Assert.Single(receiver.Spans(), s => s.Span.Name == "seldon.batch.run").Span;
        var traced = Parse(stderr).Where(l => l["trace_id"] is not null).ToList();
        Assert.NotEmpty(traced);
        Assert.All(traced, l =>
        {
            Assert.Equal(OtlpExportTests.Hex(run.TraceId), l["trace_id"]!.GetValue<string>());
            Assert.Matches("^[0-9a-f]{16}$", l["span_id"]!.GetValue<string>());
        });
    }

    /// <summary>Each line of <paramref name="stderr"/> as a JSON object (fails on any line that is not one).</summary>
    private static List<JsonObject> Parse(string stderr) =>
        [.. stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line =>
        {
            try
            {
                return JsonNode.Parse(line) as JsonObject ?? throw new Xunit.Sdk.XunitException($"not a JSON object: {line}");
            }
            catch (System.Text.Json.JsonException ex)
            {
                throw new Xunit.Sdk.XunitException($"not JSON ({ex.Message}): {line}");
            }
        })];

    private async Task<(string Input, string Output)> FilesAsync(int lines, int bad)
    {
        var input = Path.Combine(_dir.FullName, "in.txt");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, lines).Select(i => i < bad ? "not json" : $"[[{i}]]"));
        return (input, Path.Combine(_dir.FullName, "out.txt"));
    }
}
