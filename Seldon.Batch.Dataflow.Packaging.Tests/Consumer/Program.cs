using System.Globalization;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Dataflow;
using Seldon.Batch.Dataflow;

// Usage: Consumer <host:port of a Seldon REST endpoint> <count> [block|items|stream]. Numbers n = 0..count-1 become
// the lines [[n, n+1]] and go through the package: "block" links the application's own blocks around
// PredictionBlock.Create, "items" sends the application's records through PredictionBlock.Create<TItem>, "stream"
// reads an IAsyncEnumerable through PredictAsync. Each result is printed as "<index> <ok|failed> <line>", in the
// order the application received them; "items" checks that each record came back with its own line.
var host = args[0];
var count = int.Parse(args[1], CultureInfo.InvariantCulture);
var mode = args.Length > 2 ? args[2] : "block";

// Where the model is belongs to the client; the block's options say only how lines are sent.
using var client = PredictionClients.Create(new EndpointSettings { Host = host, DeploymentName = "demo", Gateway = GatewayType.Seldon });
var options = new PredictionBlockOptions { Workers = 4, BatchSize = 4 };

var results = mode switch
{
    "block" => await LinkedAsync(options, client, count),
    "items" => await ItemsAsync(options, client, count),
    "stream" => await StreamedAsync(options, client, count),
    _ => throw new ArgumentException($"unknown mode {mode}"),
};

foreach (var result in results)
{
    Console.WriteLine($"{result.Index} {(result.Failure is null ? "ok" : "failed")} {result.Line}");
}

static string LineOf(int n) => $"[[{n}, {n + 1}]]";

static async Task<List<InstanceResult>> LinkedAsync(PredictionBlockOptions options, IPredictionClient client, int count)
{
    var toLine = new TransformBlock<int, string>(LineOf);
    var predict = PredictionBlock.Create(client, options);
    var results = new List<InstanceResult>();
    var collect = new ActionBlock<InstanceResult>(results.Add);

    var link = new DataflowLinkOptions { PropagateCompletion = true };
    toLine.LinkTo(predict, link);
    predict.LinkTo(collect, link);

    for (var n = 0; n < count; n++)
    {
        await toLine.SendAsync(n);
    }

    toLine.Complete();
    await collect.Completion;
    return results;
}

static async Task<List<InstanceResult>> ItemsAsync(PredictionBlockOptions options, IPredictionClient client, int count)
{
    var predict = PredictionBlock.Create<Order>(client, options, order => LineOf(order.Number));
    var results = new List<InstanceResult>();
    var collect = new ActionBlock<PredictionResult<Order>>(r =>
    {
        if (r.Item.Id != $"order-{r.Result.Index}")
        {
            throw new InvalidOperationException($"{r.Item.Id} came back with the result of line {r.Result.Index}");
        }

        results.Add(r.Result);
    });
    predict.LinkTo(collect, new DataflowLinkOptions { PropagateCompletion = true });

    for (var n = 0; n < count; n++)
    {
        await predict.SendAsync(new Order($"order-{n}", n));
    }

    predict.Complete();
    await collect.Completion;
    return results;
}

static async Task<List<InstanceResult>> StreamedAsync(PredictionBlockOptions options, IPredictionClient client, int count)
{
    var results = new List<InstanceResult>();
    await foreach (var result in Lines(count).PredictAsync(client, options))
    {
        results.Add(result);
    }

    return results;
}

static async IAsyncEnumerable<string> Lines(int count, [EnumeratorCancellation] CancellationToken cancellationToken = default)
{
    for (var n = 0; n < count; n++)
    {
        await Task.Yield();
        cancellationToken.ThrowIfCancellationRequested();
        yield return LineOf(n);
    }
}

internal sealed record Order(string Id, int Number);
