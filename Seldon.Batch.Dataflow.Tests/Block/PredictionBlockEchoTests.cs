using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using System.Threading.Tasks.Dataflow;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Block;

public sealed class PredictionBlockEchoTests
{
    private static readonly PredictionBlockOptions Options = new() { BatchId = "run-1", Workers = 4 };

    /// <summary>Answers like a Seldon model that returns its input: the request's data and tags.</summary>
    private sealed class EchoClient(Func<PredictionRequest, PredictionResponse?>? overrides = null) : IPredictionClient
    {
        public InferenceProtocol Protocol => InferenceProtocol.Seldon;

        public ConcurrentBag<PredictionRequest> Requests { get; } = [];

        public async Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
        {
            Requests.Add(request);
            await Task.Yield();
            if (overrides?.Invoke(request) is { } response)
            {
                return response;
            }

            var body = JsonNode.Parse(request.Body)!.AsObject();
            var answer = new JsonObject
            {
                ["data"] = body["data"]?.DeepClone(),
                ["meta"] = new JsonObject { ["puid"] = request.Puid, ["tags"] = body["meta"]?["tags"]?.DeepClone() },
            };
            return PredictionResponse.Success(answer.ToJsonString(), 200);
        }

        public void Dispose()
        {
        }
    }

    private static async Task<List<InstanceResult>> RunAsync(PredictionBlockOptions options, IPredictionClient client, IEnumerable<string> lines, RunStatistics? statistics = null)
    {
        var block = PredictionBlock.Create(client, options with { Statistics = statistics });
        var results = new List<InstanceResult>();
        var consumer = Task.Run(async () =>
        {
            while (await block.OutputAvailableAsync())
            {
                results.Add(await block.ReceiveAsync());
            }
        });
        foreach (var line in lines)
        {
            Assert.True(await block.SendAsync(line));
        }

        block.Complete();
        await consumer;
        await block.Completion;
        return results;
    }

    private static JsonObject Parse(InstanceResult result) => JsonNode.Parse(result.Line)!.AsObject();

    private static List<string> Lines(int count, Func<int, string?>? bad = null) =>
        Enumerable.Range(0, count).Select(i => bad?.Invoke(i) ?? $"[[{i}, {i + 0.5}]]").ToList();

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task Every_line_yields_one_output_at_its_position(int batchSize)
    {
        var lines = Lines(40, i => i % 7 == 3 ? "not json" : i % 11 == 5 ? "" : null);
        var statistics = new RunStatistics();

        var results = await RunAsync(Options with { BatchSize = batchSize }, new EchoClient(), lines, statistics);

        Assert.Equal(Enumerable.Range(0, 40).Select(i => (long)i), results.Select(r => r.Index));
        for (var i = 0; i < lines.Count; i++)
        {
            var line = Parse(results[i]);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), line["meta"]!["tags"]!["batch_index"]!.ToJsonString());
            Assert.Equal("run-1", line["meta"]!["tags"]!["batch_id"]!.GetValue<string>());
            if (lines[i] is "not json" or "")
            {
                Assert.False(results[i].Succeeded);
                Assert.Equal(400, line["status"]!["code"]!.GetValue<int>());
                Assert.Equal((i, LineFailureKind.InvalidLine, 400), (results[i].Failure!.Index, results[i].Failure!.Kind, results[i].Failure!.Status));
                Assert.True(results[i].Prediction.IsEmpty);
            }
            else
            {
                Assert.True(results[i].Succeeded, results[i].Failure?.Reason);
                Assert.Equal(JsonNode.Parse(lines[i])!.ToJsonString(), line["data"]!["ndarray"]!.ToJsonString());
                Assert.Equal(line["data"]!.ToJsonString(), System.Text.Encoding.UTF8.GetString(results[i].Prediction.Span));
            }
        }

        var bad = lines.Count(l => l is "not json" or "");
        Assert.Equal(["blank line", "invalid JSON"], statistics.FailuresByKind.Keys);
        Assert.Equal(40, statistics.Instances);
        Assert.Equal(bad, statistics.Failed);
        Assert.Equal(40 - bad, statistics.Succeeded);
    }

    [Fact]
    public async Task Micro_batches_send_one_request_per_group()
    {
        var client = new EchoClient();

        var results = await RunAsync(Options with { BatchSize = 4 }, client, Lines(10));

        Assert.Equal(10, results.Count);
        Assert.Equal(3, client.Requests.Count);
        var first = client.Requests.Single(r => JsonNode.Parse(r.Body)!["meta"]!["tags"]!["batch_index"]!.GetValue<long>() == 0);
        var ids = results.Take(4).Select(r => Parse(r)["meta"]!["tags"]!["batch_instance_id"]!.GetValue<string>());
        Assert.Equal(Enumerable.Range(0, 4).Select(n => $"{first.Puid}-item-{n}"), ids);
    }

    [Fact]
    public async Task Failed_request_gives_error_records_with_its_code()
    {
        var client = new EchoClient(r => r.Body.Contains("\"batch_index\":2,", StringComparison.Ordinal)
            ? PredictionResponse.Failed(PredictionFailureKind.Line, 400, "HTTP 400: refused")
            : null);

        var results = await RunAsync(Options, client, Lines(4));

        Assert.Equal([true, true, false, true], results.Select(r => r.Succeeded));
        var status = Parse(results[2])["status"]!;
        Assert.Equal(400, status["code"]!.GetValue<int>());
        Assert.Equal("HTTP 400: refused", status["reason"]!.GetValue<string>());
        Assert.Equal(BatchModelFactory.LineFailure(2, LineFailureKind.Refused, 400, "HTTP 400: refused"), results[2].Failure);
    }

    [Fact]
    public async Task A_client_that_throws_costs_its_batch_only()
    {
        var client = new EchoClient(r => r.Body.Contains("\"batch_index\":1,", StringComparison.Ordinal)
            ? throw new InvalidOperationException("boom")
            : null);

        var results = await RunAsync(Options, client, Lines(3));

        Assert.Equal([true, false, true], results.Select(r => r.Succeeded));
        Assert.Contains("boom", results[1].Failure!.Reason);
        // The client's defect is judged like a refusal: the lines are sent again one by one, not retried.
        Assert.Equal(LineFailureKind.Refused, results[1].Failure!.Kind);
    }

    [Fact]
    public async Task Answer_with_a_duplicate_property_does_not_fault_the_block()
    {
        var client = new EchoClient(r => r.Body.Contains("\"batch_index\":1,", StringComparison.Ordinal)
            ? PredictionResponse.Success("""{"data":{"ndarray":[[1]]},"data":{"ndarray":[[1]]}}""", 200)
            : null);

        var results = await RunAsync(Options, client, Lines(3));

        Assert.Equal([true, false, true], results.Select(r => r.Succeeded));
        Assert.Equal((LineFailureKind.UnusableAnswer, 502, "unusable answer"), (results[1].Failure!.Kind, results[1].Failure!.Status, results[1].Failure!.Category));
    }

    [Fact]
    public async Task A_failure_about_the_endpoint_ends_the_output_before_its_line_and_faults_the_block()
    {
        var client = new EchoClient(r => r.Body.Contains("\"batch_index\":5,", StringComparison.Ordinal)
            ? PredictionResponse.Failed(PredictionFailureKind.Misconfiguration, 404, "HTTP 404 Not Found from http://gateway/x")
            : null);
        var statistics = new RunStatistics();
        var block = PredictionBlock.Create(client, Options with { Workers = 1, Statistics = statistics });
        var results = new List<InstanceResult>();
        var consumer = Task.Run(async () =>
        {
            while (await block.OutputAvailableAsync())
            {
                results.Add(await block.ReceiveAsync());
            }
        });

        var accepted = 0;
        foreach (var line in Lines(5000))
        {
            if (!await block.SendAsync(line))
            {
                break;
            }

            accepted++;
        }

        block.Complete();
        await consumer;
        var error = await Assert.ThrowsAsync<EndpointFailureException>(() => block.Completion);

        Assert.Equal([0L, 1, 2, 3, 4], results.Select(r => r.Index));
        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.True(accepted < 5000, "the block kept taking lines after its endpoint failed");
        Assert.Equal(PredictionFailureKind.Misconfiguration, error.Failure.Kind);
        Assert.Equal(404, error.Failure.Status);
        Assert.Same(error.Failure, statistics.EndpointFailure);
    }

    [Fact]
    public async Task A_refused_micro_batch_is_sent_again_line_by_line_so_only_the_refused_line_fails()
    {
        // The model refuses any request holding line 6, whole, as a real model does with one bad row.
        var client = new EchoClient(r => r.Body.Contains("6.5", StringComparison.Ordinal)
            ? PredictionResponse.Failed(PredictionFailureKind.Line, 400, "HTTP 400 Bad Request: row 6 is bad")
            : null);

        var results = await RunAsync(Options with { BatchSize = 4 }, client, Lines(12));

        Assert.Equal(Enumerable.Range(0, 12).Select(i => i != 6), results.Select(r => r.Succeeded));
        Assert.Equal("HTTP 400 Bad Request: row 6 is bad", results[6].Failure!.Reason);
        Assert.Equal(3 + 4, client.Requests.Count); // three micro-batches, then the refused one's four lines alone
    }

    [Fact]
    public void Invalid_options_are_refused_when_the_block_is_created()
    {
        using var client = new EchoClient();

        var ex = Assert.Throws<InvalidBatchOptionsException>(() => PredictionBlock.Create(client, Options with { Workers = 0 }));

        Assert.Equal("Workers must be at least 1, not 0", ex.Message);
        Assert.Equal(nameof(PredictionBlockOptions.Workers), ex.Property);
        Assert.Empty(client.Requests);
    }
}
