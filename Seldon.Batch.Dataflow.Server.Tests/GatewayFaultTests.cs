using System.Diagnostics;
using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Seldon.Batch.Dataflow.Server;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>The faults that are about the endpoint rather than the line (a fixed answer from a "gateway", an outage
/// window) and a model that refuses chosen rows, over REST and gRPC.</summary>
[Trait("Category", "Integration")]
public sealed class GatewayFaultTests
{
    private const string Predictions = "/api/v1.0/predictions";
    private const string Instance = """{"data":{"ndarray":[[1,2]]}}""";

    [Fact]
    public async Task AnswerStatus_answers_every_path_with_a_gateway_text_by_default()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { AnswerStatus = 404 });
        using HttpClient http = Client(server);

        RestExchange predict = await RestExchange.PostAsync(http, "/seldon/default/misspelt/api/v1.0/predictions", Instance);
        RestExchange other = await RestExchange.PostAsync(http, "/no/such/route", Instance);

        Assert.Equal(HttpStatusCode.NotFound, predict.Status);
        Assert.Equal("text/plain", predict.ContentType);
        Assert.Equal("404 Not Found", predict.Body);
        Assert.Equal(HttpStatusCode.NotFound, other.Status);
        Assert.Equal(2, server.Statistics.Requests);
        Assert.Equal(2, server.Statistics.InjectedFailures);
    }

    [Fact]
    public async Task A_server_for_one_deployment_answers_404_for_another_name_over_REST_and_gRPC()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { Deployment = "demo" });
        using HttpClient http = Client(server);
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Protos.Seldon.SeldonClient(channel);

        RestExchange right = await RestExchange.PostAsync(http, "/seldon/default/demo/api/v1.0/predictions", Instance);
        RestExchange wrong = await RestExchange.PostAsync(http, "/seldon/default/dmeo/api/v1.0/predictions", Instance);
        RestExchange direct = await RestExchange.PostAsync(http, Predictions, Instance);
        SeldonMessage named = await client.PredictAsync(new SeldonMessage { StrData = "x" }, new Metadata { { "seldon", "demo" } }).ResponseAsync;
        var misnamed = await Assert.ThrowsAsync<RpcException>(
            () => client.PredictAsync(new SeldonMessage { StrData = "x" }, new Metadata { { "seldon", "dmeo" } }).ResponseAsync);

        Assert.Equal(HttpStatusCode.OK, right.Status);
        Assert.Equal(HttpStatusCode.NotFound, wrong.Status);
        Assert.Equal("", wrong.Body);
        Assert.Equal(HttpStatusCode.OK, direct.Status); // the model's own service has no deployment in its path
        Assert.Equal("X", named.StrData);
        Assert.Equal(StatusCode.Unimplemented, misnamed.StatusCode);
        Assert.Equal(2, server.Statistics.UnknownRoutes);
    }

    [Fact]
    public async Task AnswerStatus_200_with_an_HTML_body_is_served_as_HTML()
    {
        const string page = "<html><body>Sign in</body></html>";
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { AnswerStatus = 200, AnswerBody = page });
        using HttpClient http = Client(server);

        RestExchange answer = await RestExchange.PostAsync(http, Predictions, Instance);

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("text/html", answer.ContentType);
        Assert.Equal(page, answer.Body);
    }

    [Theory]
    [InlineData(404, StatusCode.Unimplemented)]
    [InlineData(401, StatusCode.Unauthenticated)]
    [InlineData(503, StatusCode.Unavailable)]
    public async Task AnswerStatus_reaches_gRPC_clients_as_the_HTTP_answer_it_is(int status, StatusCode expected)
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { AnswerStatus = status });
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Protos.Seldon.SeldonClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.PredictAsync(new SeldonMessage { StrData = "x" }).ResponseAsync);

        Assert.Equal(expected, error.StatusCode);
        Assert.StartsWith("Bad gRPC response", error.Status.Detail);
    }

    [Theory]
    [InlineData(ServerOutageMode.Reset)]
    [InlineData(ServerOutageMode.Unavailable)]
    public async Task An_outage_starts_at_the_chosen_request_and_ends_after_its_length(ServerOutageMode mode)
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(
            new ServeOptions { OutageAfter = 2, OutageSeconds = 1, OutageMode = mode });
        using HttpClient http = Client(server);

        RestExchange first = await RestExchange.PostAsync(http, Predictions, Instance);
        var clock = Stopwatch.StartNew();
        if (mode == ServerOutageMode.Reset)
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => RestExchange.PostAsync(http, Predictions, Instance));
        }
        else
        {
            RestExchange down = await RestExchange.PostAsync(http, Predictions, Instance);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, down.Status);
            Assert.Equal("no healthy upstream", down.Body);
        }

        // Polled, not slept: the window closes one second after the second request arrived.
        RestExchange? after = null;
        while (after is null)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the outage did not end");
            try
            {
                RestExchange answer = await RestExchange.PostAsync(http, Predictions, Instance);
                after = answer.Status == HttpStatusCode.OK ? answer : null;
            }
            catch (HttpRequestException)
            {
                // Still in the outage.
            }

            await Task.Yield();
        }

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal("[[2,4]]", after.Json["data"]!["ndarray"]!.ToJsonString());
        Assert.True(server.Statistics.InjectedFailures >= 1);
    }

    [Fact]
    public async Task An_outage_over_gRPC_answers_Unavailable()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(
            new ServeOptions { OutageAfter = 1, OutageSeconds = 600, OutageMode = ServerOutageMode.Unavailable });
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Protos.Seldon.SeldonClient(channel);

        var error = await Assert.ThrowsAsync<RpcException>(() => client.PredictAsync(new SeldonMessage { StrData = "x" }).ResponseAsync);

        Assert.Equal(StatusCode.Unavailable, error.StatusCode);
        Assert.Equal("no healthy upstream", error.Status.Detail);
    }

    [Theory]
    [InlineData(400, HttpStatusCode.BadRequest, "MICROSERVICE_BAD_DATA")]
    [InlineData(500, HttpStatusCode.InternalServerError, "MICROSERVICE_INTERNAL_ERROR")]
    public async Task A_row_with_the_refused_value_fails_its_whole_request_with_a_Seldon_status(int refuseStatus, HttpStatusCode expected, string reason)
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { RefuseValue = "13", RefuseStatus = refuseStatus });
        using HttpClient http = Client(server);

        RestExchange refused = await RestExchange.PostAsync(http, Predictions, """{"data":{"ndarray":[[1,2],[13,4]]}}""");
        RestExchange partOfAnother = await RestExchange.PostAsync(http, Predictions, """{"data":{"ndarray":[[113,-13,1.3,130]]}}""");

        Assert.Equal(expected, refused.Status);
        Assert.Equal(reason, (string?)refused.Json["status"]!["reason"]);
        Assert.Equal(1, (int?)refused.Json["status"]!["status"]);
        Assert.Equal(HttpStatusCode.OK, partOfAnother.Status);
    }

    [Theory]
    [InlineData(400, StatusCode.InvalidArgument)]
    [InlineData(500, StatusCode.Internal)]
    public async Task A_row_with_the_refused_value_fails_its_gRPC_call(int refuseStatus, StatusCode expected)
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { RefuseValue = "13", RefuseStatus = refuseStatus });
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Protos.Seldon.SeldonClient(channel);
        var ok = new SeldonMessage { StrData = "12" };
        var bad = new SeldonMessage { StrData = "13" };

        SeldonMessage answer = await client.PredictAsync(ok);
        var error = await Assert.ThrowsAsync<RpcException>(() => client.PredictAsync(bad).ResponseAsync);

        Assert.Equal("12", answer.StrData);
        Assert.Equal(expected, error.StatusCode);
    }

    [Fact]
    public async Task A_row_with_the_slow_value_holds_its_REST_request_until_the_client_gives_up()
    {
        // The delay is far longer than the client waits: the slow request can only end by the client's timeout.
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { SlowValue = "13", SlowDelayMs = 600_000 });
        using HttpClient http = new() { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(2) };

        RestExchange fast = await RestExchange.PostAsync(http, Predictions, """{"data":{"ndarray":[[113,-13,1.3,130]]}}""");
        await Assert.ThrowsAsync<TaskCanceledException>(() => RestExchange.PostAsync(http, Predictions, """{"data":{"ndarray":[[1,2],[13,4]]}}"""));

        Assert.Equal(HttpStatusCode.OK, fast.Status);
        Assert.Equal(1, server.Statistics.SlowRequests);
        Assert.Equal(2, server.Statistics.Requests);
    }

    [Fact]
    public async Task A_row_with_the_slow_value_holds_its_gRPC_call_past_its_deadline()
    {
        await using DemoModelServer server = await DemoModelServer.StartAsync(new ServeOptions { SlowValue = "13", SlowDelayMs = 600_000 });
        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var client = new Protos.Seldon.SeldonClient(channel);

        SeldonMessage answer = await client.PredictAsync(new SeldonMessage { StrData = "12" }, deadline: DateTime.UtcNow.AddSeconds(30));
        var error = await Assert.ThrowsAsync<RpcException>(
            () => client.PredictAsync(new SeldonMessage { StrData = "13" }, deadline: DateTime.UtcNow.AddSeconds(2)).ResponseAsync);

        Assert.Equal("12", answer.StrData);
        Assert.Equal(StatusCode.DeadlineExceeded, error.StatusCode);
        Assert.Equal(1, server.Statistics.SlowRequests);
    }

    private static HttpClient Client(DemoModelServer server) =>
        new() { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(10) };
}
