using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Seldon.Batch.Dataflow.Server;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary><c>serve --capacity</c> and <c>--reject-above</c>: a request held in the server (its row holds the slow value)
/// keeps the server full while the test sends the next.</summary>
[Trait("Category", "Integration")]
public sealed class CapacityTests
{
    private const string Predictions = "/api/v1.0/predictions";
    private const string Held = """{"data":{"ndarray":[[7]]}}""";
    private const string Instance = """{"data":{"ndarray":[[1,2]]}}""";

    private static ServeOptions Holding(int capacity = 0, int rejectAbove = 0) =>
        new() { Capacity = capacity, RejectAbove = rejectAbove, SlowValue = "7", SlowDelayMs = 60_000 };

    [Fact]
    public async Task A_request_arriving_when_the_server_is_full_is_refused_with_429_and_ResourceExhausted()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(Holding(rejectAbove: 1));
        using HttpClient http = new() { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(90) };
        using var release = new CancellationTokenSource();
        var held = RestExchange.PostAsync(http, Predictions, Held, release.Token);
        await InServerAsync(server, 1);

        RestExchange refused = await RestExchange.PostAsync(http, Predictions, Instance);
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var error = await Assert.ThrowsAsync<RpcException>(
            () => new Protos.Seldon.SeldonClient(channel).PredictAsync(new SeldonMessage { StrData = "x" }).ResponseAsync);

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.Status);
        Assert.Contains("busy", refused.Body);
        Assert.Equal(StatusCode.ResourceExhausted, error.StatusCode);
        Assert.Equal(2, server.Statistics.Rejected);
        await release.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
    }

    [Fact]
    public async Task Past_the_capacity_requests_queue_and_are_answered_once_a_place_is_free_with_their_latency_in_the_stats()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(Holding(capacity: 1));
        using HttpClient http = new() { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(90) };
        using var release = new CancellationTokenSource();
        var held = RestExchange.PostAsync(http, Predictions, Held, release.Token);
        await InServerAsync(server, 1);

        var queued = RestExchange.PostAsync(http, Predictions, Instance);
        await InServerAsync(server, 2);
        Assert.False(queued.IsCompleted); // the one place is held
        await release.CancelAsync();

        Assert.Equal(HttpStatusCode.OK, (await queued).Status);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => held);
        RestExchange stats = await GetAsync(http, "/stats");
        Assert.Equal(2, stats.Json["max_in_server"]!.GetValue<int>());
        Assert.True(stats.Json["latency_ms"]!["count"]!.GetValue<long>() >= 1, stats.Body);
        Assert.Equal(0, (await GetAsync(http, "/stats?reset=true")).Json["rejected"]!.GetValue<long>());
        Assert.Equal(0, (await GetAsync(http, "/stats")).Json["latency_ms"]!["count"]!.GetValue<long>());
    }

    /// <summary>Waits until <paramref name="count"/> prediction requests have been in the server at once.</summary>
    private static async Task InServerAsync(DemoModelServer server, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (server.Statistics.MaxInServer < count)
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    private static async Task<RestExchange> GetAsync(HttpClient http, string path)
    {
        using HttpResponseMessage response = await http.GetAsync(path);
        return new RestExchange(response.StatusCode, response.Content.Headers.ContentType?.MediaType, await response.Content.ReadAsStringAsync());
    }
}
