using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Grpc.Core;
using Grpc.Net.Client;
using Seldon.Batch.Dataflow.Server;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>The faults of <see cref="ServeOptions"/>, each on a server of its own, over REST and gRPC.</summary>
[Trait("Category", "Integration")]
public sealed class FaultInjectionTests
{
    private const string Predictions = "/api/v1.0/predictions";
    private const string Instance = """{"data":{"ndarray":[[1,2]]}}""";

    [Fact]
    public async Task FailFirst_fails_the_first_requests_with_FailStatus_then_answers()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { FailFirst = 2, FailStatus = 503 });
        using HttpClient http = Client(server);

        RestExchange first = await RestExchange.PostAsync(http, Predictions, Instance);
        RestExchange second = await RestExchange.PostAsync(http, Predictions, Instance);
        RestExchange third = await RestExchange.PostAsync(http, Predictions, Instance);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, first.Status);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, second.Status);
        Assert.Equal("application/json", first.ContentType);
        Assert.Equal("""{"status":{"code":503,"info":"injected failure","reason":"INJECTED_FAULT","status":1}}""", first.Body);
        Assert.Equal(HttpStatusCode.OK, third.Status);
        Assert.Equal("[[2,4]]", third.Json["data"]!["ndarray"]!.ToJsonString());
        Assert.Equal(2, server.Statistics.InjectedFailures);
        Assert.Equal(3, server.Statistics.Requests);
        Assert.Equal(0, server.Statistics.BadRequests);
    }

    [Fact]
    public async Task FailEvery_fails_every_nth_request()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { FailEvery = 3, FailStatus = 429 });
        using HttpClient http = Client(server);

        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 6; i++)
        {
            statuses.Add((await RestExchange.PostAsync(http, Predictions, Instance)).Status);
        }

        HttpStatusCode ok = HttpStatusCode.OK, tooMany = HttpStatusCode.TooManyRequests;
        Assert.Equal([ok, ok, tooMany, ok, ok, tooMany], statuses);
        Assert.Equal(2, server.Statistics.InjectedFailures);
    }

    [Fact]
    public async Task FailRate_decisions_repeat_for_the_same_seed()
    {
        var options = new ServeOptions { FailRate = 0.5, FailStatus = 500, Seed = 42 };

        bool[] firstRun = await FailurePatternAsync(options, requests: 16);
        bool[] secondRun = await FailurePatternAsync(options, requests: 16);

        Assert.Equal(firstRun, secondRun);
        Assert.Contains(true, firstRun);
        Assert.Contains(false, firstRun);
    }

    [Fact]
    public async Task DropEvery_aborts_the_connection_without_an_answer()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { DropEvery = 2 });
        using HttpClient http = Client(server);

        RestExchange first = await RestExchange.PostAsync(http, Predictions, Instance);
        await Assert.ThrowsAsync<HttpRequestException>(() => RestExchange.PostAsync(http, Predictions, Instance));
        RestExchange third = await RestExchange.PostAsync(http, Predictions, Instance);

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(HttpStatusCode.OK, third.Status);
        Assert.Equal(1, server.Statistics.DroppedConnections);
        Assert.Equal(3, server.Statistics.Requests);
    }

    [Fact]
    public async Task DropEvery_over_gRPC_fails_the_call_and_the_channel_recovers()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { DropEvery = 1, FailFirst = 0 });
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Protos.Seldon.SeldonClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.PredictAsync(new SeldonMessage { StrData = "x" }).ResponseAsync);

        Assert.NotEqual(StatusCode.OK, error.StatusCode);
        Assert.Equal(1, server.Statistics.DroppedConnections);
    }

    [Fact]
    public async Task DelayMs_delays_the_answer()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 300 });
        using HttpClient http = Client(server);

        var clock = Stopwatch.StartNew();
        RestExchange answer = await RestExchange.PostAsync(http, Predictions, Instance);
        clock.Stop();

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.True(clock.ElapsedMilliseconds >= 280, $"answered after {clock.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task A_delayed_request_can_be_given_up_by_the_client()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 60_000 });
        using HttpClient http = Client(server);
        using var giveUp = new CancellationTokenSource();
        Task call = RestExchange.PostAsync(http, Predictions, Instance, giveUp.Token);

        // Given up once the server holds it (awaited, not timed: a busy machine may take a while to deliver it).
        var clock = Stopwatch.StartNew();
        while (server.Statistics.Requests < 1)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the request never reached the server");
            await Task.Delay(5);
        }

        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);

        Assert.Equal(1, server.Statistics.Requests);
    }

    [Theory]
    [InlineData(500, StatusCode.Internal)]
    [InlineData(503, StatusCode.Unavailable)]
    [InlineData(429, StatusCode.ResourceExhausted)]
    [InlineData(400, StatusCode.InvalidArgument)]
    [InlineData(418, StatusCode.Unknown)]
    public async Task Injected_failures_map_to_gRPC_status_codes(int failStatus, StatusCode expected)
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { FailFirst = 1, FailStatus = failStatus, RestPort = 0 });
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Protos.Seldon.SeldonClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.PredictAsync(new SeldonMessage { StrData = "x" }).ResponseAsync);
        SeldonMessage after = await client.PredictAsync(new SeldonMessage { StrData = "x" });

        Assert.Equal(expected, error.StatusCode);
        Assert.Equal("injected failure", error.Status.Detail);
        Assert.Equal("X", after.StrData);
        Assert.Equal(1, server.Statistics.InjectedFailures);
        Assert.Equal(0, server.Statistics.BadRequests);
    }

    [Fact]
    public async Task REST_and_gRPC_share_one_request_count()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { FailEvery = 2, FailStatus = 503 });
        using HttpClient http = Client(server);
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Protos.Seldon.SeldonClient(channel);

        RestExchange first = await RestExchange.PostAsync(http, Predictions, Instance);
        var second = await Assert.ThrowsAsync<RpcException>(() => client.SendFeedbackAsync(new Feedback()).ResponseAsync);
        SeldonMessage third = await client.SendFeedbackAsync(new Feedback { Reward = 1 });
        RestExchange fourth = await RestExchange.PostAsync(http, "/api/v1.0/feedback", "{}");

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(StatusCode.Unavailable, second.StatusCode);
        Assert.Equal(1.0, third.Meta.Tags["reward"].NumberValue);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, fourth.Status);
        Assert.Equal(4, server.Statistics.Requests);
        Assert.Equal(1, server.Statistics.PredictRequests);
        Assert.Equal(3, server.Statistics.FeedbackRequests);
    }

    [Fact]
    public async Task Without_gRPC_only_REST_is_bound()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { GrpcPort = -1 });
        using HttpClient http = Client(server);

        RestExchange answer = await RestExchange.PostAsync(http, Predictions, Instance);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal(-1, server.GrpcPort);
        Assert.Equal(string.Empty, server.GrpcAddress);
        Assert.True(server.RestPort > 0);
        Assert.Equal(new Uri($"http://127.0.0.1:{server.RestPort}"), server.RestBaseAddress);
    }

    private static HttpClient Client(DemoModelServer server) =>
        new() { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(10) };

    private static async Task<bool[]> FailurePatternAsync(ServeOptions options, int requests)
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(options);
        using HttpClient http = Client(server);
        var failed = new bool[requests];
        for (int i = 0; i < requests; i++)
        {
            RestExchange answer = await RestExchange.PostAsync(http, Predictions, Instance);
            failed[i] = answer.Status == HttpStatusCode.InternalServerError;
            if (failed[i])
            {
                Assert.Equal("INJECTED_FAULT", (string?)answer.Json["status"]!["reason"]);
            }
        }

        Assert.Equal(failed.Count(f => f), server.Statistics.InjectedFailures);
        return failed;
    }
}
