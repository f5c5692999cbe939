using System.Net;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.Extensions.Logging;
using Seldon.Batch.Dataflow.Server;
using Seldon.Protos;

namespace Seldon.Batch.Dataflow.Server.Tests;

/// <summary>The server logs through the caller's logger factory, and the web host stays quiet unless asked.</summary>
[Trait("Category", "Integration")]
public sealed class ServerLoggingTests
{
    [Fact]
    public async Task At_information_level_the_server_logs_its_addresses_and_the_web_host_stays_quiet()
    {
        var capture = new CapturingLoggerProvider();
        using (ILoggerFactory loggers = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Information).AddProvider(capture)))
        {
            await using DemoModelServer server = await DemoModelServer.StartAsync(
                new ServeOptions { DropEvery = 3, FailEvery = 2 }, loggers);
            await ExerciseAsync(server);
        }

        var entries = capture.Entries.ToList();
        Assert.Contains(entries, e => e.Category == typeof(DemoModelServer).FullName && e.Message.Contains("listening"));
        Assert.Contains(entries, e => e.Message.Contains("stopped after 6 requests"));
        Assert.DoesNotContain(entries, e => !e.Category.StartsWith("Seldon.", StringComparison.Ordinal));
    }

    [Fact]
    public async Task At_debug_level_the_web_host_and_the_faults_are_logged_too()
    {
        var capture = new CapturingLoggerProvider();
        using (ILoggerFactory loggers = LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Debug).AddProvider(capture)))
        {
            await using DemoModelServer server = await DemoModelServer.StartAsync(
                new ServeOptions { DropEvery = 3, FailEvery = 2 }, loggers);
            await ExerciseAsync(server);
        }

        var entries = capture.Entries.ToList();
        Assert.Contains(entries, e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal));
        Assert.Contains(entries, e => e.Message.Contains("dropping the connection"));
        Assert.Contains(entries, e => e.Message.Contains("injecting failure 503"));
        Assert.Contains(entries, e => e.Message.Contains("Bad request"));
    }

    /// <summary>Six requests: a success, a failure, a drop, a failure, a bad request, and one over gRPC.</summary>
    private static async Task ExerciseAsync(DemoModelServer server)
    {
        using var http = new HttpClient { BaseAddress = server.RestBaseAddress };
        var statuses = new List<HttpStatusCode>();
        for (int i = 0; i < 5; i++)
        {
            try
            {
                string body = i == 4 ? "nonsense" : """{"data":{"ndarray":[1]}}""";
                statuses.Add((await RestExchange.PostAsync(http, "/api/v1.0/predictions", body)).Status);
            }
            catch (HttpRequestException)
            {
                statuses.Add(0);
            }
        }

        using GrpcChannel channel = GrpcChannel.ForAddress(server.GrpcAddress);
        var error = await Assert.ThrowsAsync<RpcException>(
            () => new Protos.Seldon.SeldonClient(channel).PredictAsync(new SeldonMessage { StrData = "x" }).ResponseAsync);

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable, 0, HttpStatusCode.ServiceUnavailable, HttpStatusCode.BadRequest], statuses);
        Assert.NotEqual(StatusCode.OK, error.StatusCode);
    }
}
