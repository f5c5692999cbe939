using System.Globalization;
using System.Threading.Tasks.Dataflow;
using Seldon.Batch.Dataflow.Pipeline;
using Seldon.Batch.Dataflow.Protocol;
using Seldon.Batch.Dataflow.Transport;

// Usage: Consumer <host:port of a Seldon REST endpoint> <count>. Numbers n = 0..count-1 go through the application's
// own block, become the lines [[n, n+1]], through the package's PredictionBlock, into the application's collector;
// each result is printed as "<index> <ok|failed> <line>", in the order the network delivered them.
var host = args[0];
var count = int.Parse(args[1], CultureInfo.InvariantCulture);

var options = new BatchOptions { DeploymentName = "demo", Gateway = GatewayType.Seldon, Host = host, Workers = 4, BatchSize = 4 };
using var client = PredictionClients.Create(options.Transport, options.ToEndpoint(), options.ToRetry());

var toLine = new TransformBlock<int, string>(n => $"[[{n}, {n + 1}]]");
var predict = PredictionBlock.Create(options, client);
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

foreach (var result in results)
{
    Console.WriteLine($"{result.Index} {(result.Failure is null ? "ok" : "failed")} {result.Line}");
}
