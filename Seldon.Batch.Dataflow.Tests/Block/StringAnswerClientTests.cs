using System.Text;
using System.Text.RegularExpressions;
using System.Text.Json.Nodes;
using System.Threading.Tasks.Dataflow;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Block;

/// <summary>A library user's client may answer with strings (<see cref="PredictionResponse.Success"/>), the built-in
/// transports answer with the bytes they read: the block writes the same lines of either.</summary>
public sealed partial class StringAnswerClientTests
{
    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();

    /// <summary>Answers as a Seldon model that returns its input with a tag to escape, as text or as its UTF-8 bytes.</summary>
    private sealed class EchoClient(bool asBytes, Func<string, string>? spoil = null) : IPredictionClient
    {
        public InferenceProtocol Protocol => InferenceProtocol.Seldon;

        public Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
        {
            var body = JsonNode.Parse(request.Body)!.AsObject();
            var answer = new JsonObject
            {
                ["data"] = body["data"]?.DeepClone(),
                ["meta"] = new JsonObject { ["tags"] = new JsonObject { ["model"] = "café \"日本\"" } },
            }.ToJsonString();
            answer = spoil?.Invoke(answer) ?? answer;
            return Task.FromResult(asBytes
                ? PredictionResponse.SuccessUtf8(Encoding.UTF8.GetBytes(answer), 200)
                : PredictionResponse.Success(answer, 200));
        }

        public void Dispose()
        {
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task A_client_that_answers_strings_gets_the_lines_of_one_that_answers_bytes(int batchSize)
    {
        var lines = Enumerable.Range(0, 30).Select(i => i % 9 == 4 ? "not json" : $"[[{i}, {i + 0.5}, \"é{i}\"]]").ToList();

        var fromText = await RunAsync(new EchoClient(asBytes: false), batchSize, lines);
        var fromBytes = await RunAsync(new EchoClient(asBytes: true), batchSize, lines);

        Assert.Equal(30, fromText.Count);
        Assert.Equal(fromBytes, fromText);
        Assert.Contains(fromText, l => l.Contains("café", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_string_answer_that_is_not_valid_utf16_still_gives_its_lines_error_records()
    {
        // Text only a string can hold (a lone surrogate): read from the text, as before, and reported per line.
        var client = new EchoClient(asBytes: false, spoil: a => a.Insert(a.Length - 1, ",\"x\":\"\ud800\""));

        var lines = await RunAsync(client, 2, ["[[1]]", "[[2]]", "[[3]]"]);

        Assert.Equal(3, lines.Count);
        Assert.All(lines, l => Assert.Contains("unusable answer", l, StringComparison.Ordinal));
    }

    private static async Task<List<string>> RunAsync(IPredictionClient client, int batchSize, IEnumerable<string> lines)
    {
        var block = PredictionBlock.Create(client, new PredictionBlockOptions { BatchId = "run-1", Workers = 2, BatchSize = batchSize });
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
        // The lines' instance ids are new in every run: the same placeholder for each.
        return [.. results.OrderBy(r => r.Index).Select(r => Uuid().Replace(r.Line, "id"))];
    }
}
