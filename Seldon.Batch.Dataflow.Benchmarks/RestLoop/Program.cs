using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Threading.Tasks.Dataflow;
using RestSharp;

// restloop restsharp|httpclient URL INPUT [SENDERS]: POSTs every line of INPUT, wrapped as a Seldon request
// ({"data":{"ndarray":LINE}}), to URL, SENDERS (16) at a time, each answer read (through RestSharp as the processor
// reads it: its own response writer, the answer's bytes kept; through HttpClient as a string), and nothing else: no
// pipeline, ordering, retries or output. What a REST client costs per request before any of the processor's own work,
// measured by `make bench` next to the processor (docs/performance.md, "the floor at batch size 1").
// restloop dataflow URL INPUT [SENDERS] [OUTPUT]: the same RestSharp requests through the network the design names and
// nothing else: INPUT read line by line into a BatchBlock of one, a TransformBlock sending SENDERS at a time in order,
// an ActionBlock writing each answer as a line of OUTPUT (/dev/null by default), the stock TPL Dataflow blocks linked
// with completion propagated. What that shape costs per request above the loop, before any of the processor's own work.
if (args.Length < 3 || args[0] is not ("restsharp" or "httpclient" or "dataflow"))
{
    Console.Error.WriteLine("usage: restloop restsharp|httpclient|dataflow URL INPUT [SENDERS] [OUTPUT]");
    return 2;
}

var viaRestSharp = args[0] is "restsharp" or "dataflow";
var url = new Uri(args[1]);
var senders = args.Length > 3 ? int.Parse(args[3], System.Globalization.CultureInfo.InvariantCulture) : 16;
var lines = args[0] == "dataflow" ? Array.Empty<string>() : File.ReadAllLines(args[2]);

// The handler as RestPredictionClient sets it up.
var handler = new SocketsHttpHandler
{
    MaxConnectionsPerServer = int.MaxValue,
    PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
    AutomaticDecompression = DecompressionMethods.All,
    UseCookies = false,
    UseProxy = false,
};
using var http = new HttpClient(handler) { Timeout = Timeout.InfiniteTimeSpan };
using var rest = new RestClient(http, new RestClientOptions(url) { Timeout = TimeSpan.FromSeconds(30), ThrowOnAnyError = false, UserAgent = "restloop" });

var next = -1;
var failed = 0;
var count = lines.Length;
if (args[0] == "dataflow")
{
    count = await ThroughDataflowAsync(args[2], args.Length > 4 ? args[4] : "/dev/null");
}
else
{
    await Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(SendAsync)));
}

if (failed > 0)
{
    Console.Error.WriteLine($"{failed} of {count} requests were not answered 200");
    return 1;
}

// What the loop allocated per request, its thread-pool work items and contended locks, to set beside the last lines of
// the processor's `-b` (allocated: ... bytes per instance; thread pool: ...): the part of them that is the client's own.
var allocated = GC.GetTotalAllocatedBytes(precise: true);
Console.WriteLine(string.Create(
    System.Globalization.CultureInfo.InvariantCulture,
    $"allocated: {allocated / 1048576.0:0.0} MiB ({allocated / (double)Math.Max(count, 1):0} bytes per request), collections gen0/gen1/gen2: {GC.CollectionCount(0)} / {GC.CollectionCount(1)} / {GC.CollectionCount(2)}"));
Console.WriteLine(string.Create(
    System.Globalization.CultureInfo.InvariantCulture,
    $"thread pool: {ThreadPool.CompletedWorkItemCount} work items ({ThreadPool.CompletedWorkItemCount / (double)Math.Max(count, 1):0.00} per request), lock contentions: {Monitor.LockContentionCount} ({Monitor.LockContentionCount / (double)Math.Max(count, 1):0.000} per request)"));
return 0;

async Task SendAsync()
{
    int i;
    while ((i = Interlocked.Increment(ref next)) < lines.Length)
    {
        var body = Encoding.UTF8.GetBytes($"{{\"data\":{{\"ndarray\":{lines[i]}}}}}");
        var puid = Guid.NewGuid().ToString();
        bool ok;
        if (viaRestSharp)
        {
            ok = await SendRestAsync(body, puid).ConfigureAwait(false) is { Length: > 0 };
        }
        else
        {
            using var message = new HttpRequestMessage(HttpMethod.Post, url);
            message.Headers.Add("seldon-puid", puid);
            message.Content = new ByteArrayContent(body);
            message.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
            using var response = await http.SendAsync(message).ConfigureAwait(false);
            var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
            ok = response.StatusCode == HttpStatusCode.OK && text.Length > 0;
        }

        if (!ok)
        {
            Interlocked.Increment(ref failed);
        }
    }
}

// One request through RestSharp: the answer's bytes, or null when it was not a 200.
async Task<byte[]?> SendRestAsync(byte[] body, string puid)
{
    // As RestPredictionClient sends a request: an empty resource on a base address that is the full URL.
    var request = new RestRequest("", Method.Post);
    request.AddHeader("seldon-puid", puid);
    request.AddHeader(KnownHeaders.Accept, ContentType.Json);
    request.AddParameter(new BodyParameter(body, "application/json; charset=utf-8", DataFormat.Binary));
    // And reads the answer as it does (RestPredictionClient.ReadResponse): a UTF-8 body's bytes in one array of their
    // length, kept as bytes, not through RestSharp's default reader (a cleared 16 KiB buffer, a byte array and a string
    // per answer), so that the floor is RestSharp as the processor uses it.
    request.AdvancedResponseWriter = ReadResponse;
    var response = await rest.ExecuteAsync(request).ConfigureAwait(false);
    return response.StatusCode == HttpStatusCode.OK ? response.RawBytes : null;
}

// The dataflow mode: the lines of INPUT through batch → transform (the request) → action (the line written), in order.
async Task<int> ThroughDataflowAsync(string input, string output)
{
    var bound = senders * 8;
    var batch = new BatchBlock<string>(1, new GroupingDataflowBlockOptions { BoundedCapacity = bound });
    var send = new TransformBlock<string[], byte[]?>(
        group => SendRestAsync(Encoding.UTF8.GetBytes($"{{\"data\":{{\"ndarray\":{group[0]}}}}}"), Guid.NewGuid().ToString()),
        new ExecutionDataflowBlockOptions { MaxDegreeOfParallelism = senders, BoundedCapacity = bound, EnsureOrdered = true, SingleProducerConstrained = true });
    await using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
    var write = new ActionBlock<byte[]?>(
        answer =>
        {
            if (answer is null)
            {
                failed++;
                return;
            }

            file.Write(answer);
            file.WriteByte((byte)'\n');
        },
        new ExecutionDataflowBlockOptions { BoundedCapacity = bound, SingleProducerConstrained = true });
    var propagate = new DataflowLinkOptions { PropagateCompletion = true };
    batch.LinkTo(send, propagate);
    send.LinkTo(write, propagate);
    var read = 0;
    foreach (var line in File.ReadLines(input))
    {
        await batch.SendAsync(line).ConfigureAwait(false);
        read++;
    }

    batch.Complete();
    await write.Completion.ConfigureAwait(false);
    return read;
}

static RestResponse ReadResponse(HttpResponseMessage message, RestRequest request)
{
    using var stream = message.Content.ReadAsStream();
    var bytes = GC.AllocateUninitializedArray<byte>((int)stream.Length);
    var read = 0;
    while (read < bytes.Length && stream.Read(bytes, read, bytes.Length - read) is var n and > 0)
    {
        read += n;
    }

    return new RestResponse(request)
    {
        StatusCode = message.StatusCode,
        IsSuccessStatusCode = message.IsSuccessStatusCode,
        StatusDescription = message.ReasonPhrase,
        ResponseStatus = ResponseStatus.Completed,
        ContentType = message.Content.Headers.ContentType?.MediaType,
        RawBytes = read == bytes.Length ? bytes : bytes[..read],
    };
}
