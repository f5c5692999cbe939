using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;
using static Seldon.Batch.Dataflow.Tests.Fixtures.RawBatch;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>Fail loudly or finish fully, over REST and gRPC against the built-in server: a misconfigured endpoint stops
/// the run at once with no error records, an outage is waited out (within --max-outage) and the lines sent again, a
/// refused row fails alone in its micro-batch, and a stop sends nothing more.</summary>
[Trait("Category", "Integration")]
public sealed class EndpointFailureTests
{
    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    /// <summary>Asserts the first <paramref name="count"/> outputs are the predictions of lines 0..count-1, in order.</summary>
    private static void AssertPredicted(JsonObject[] outputs, int count)
    {
        Assert.Equal(count, outputs.Length);
        for (var i = 0; i < count; i++)
        {
            Assert.False(IsError(outputs[i]), $"line {i} is an error record: {outputs[i].ToJsonString()}");
            Assert.Equal(i, BatchIndex(outputs[i]));
            AssertPrediction(outputs[i], i);
        }
    }

    /// <summary>Asserts <paramref name="output"/> holds the prediction of line <paramref name="i"/>: <c>[[2i, -2i, 1]]</c>
    /// (numbers compared as numbers: REST writes 1.0 where gRPC writes 1).</summary>
    private static void AssertPrediction(JsonObject output, int i) =>
        Assert.Equal([2.0 * i, -2.0 * i, 1.0], output["data"]!["ndarray"]![0]!.AsArray().Select(n => n!.GetValue<double>()));

    public static TheoryData<string, int, string> MisroutedAnswers => new()
    {
        { "rest", 404, "is the deployment name right?" },
        { "grpc", 404, "is the deployment name right" },
        { "rest", 401, "is the token right?" },
        { "grpc", 401, "is the token right?" },
    };

    [Theory]
    [MemberData(nameof(MisroutedAnswers))]
    public async Task A_misrouted_endpoint_stops_the_run_at_once_with_no_output_and_no_error_records(string transport, int status, string hint)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { AnswerStatus = status });
        var options = Options(server, transport).WithBlock(b => b with { Workers = 4, MaxAttempts = 3 });

        var result = await RunFileAsync(options, NumberedInput(200));

        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Empty(result.Outputs);
        Assert.Equal(0, result.Summary.Failed);
        Assert.Equal(0, result.Summary.Retries);
        Assert.Contains(transport == "grpc" ? (status == 404 ? "Unimplemented" : "Unauthenticated") : $"HTTP {status}", result.Summary.StopReason);
        Assert.Contains(hint, result.Summary.StopReason);
        Assert.Contains($"127.0.0.1:{(transport == "grpc" ? server.GrpcPort : server.RestPort)}", result.Summary.StopReason);
        // Not retried, and nothing sent once the first answers were in: at most a round of requests per worker.
        Assert.InRange(server.Statistics.Requests, 1, 2 * options.Block.Workers);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_HTML_page_answered_with_200_stops_the_run(string transport)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { AnswerStatus = 200, AnswerBody = "<html><body>Welcome</body></html>" });

        var result = await RunFileAsync(Options(server, transport), NumberedInput(50));

        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Empty(result.Outputs);
        Assert.Contains(transport == "grpc" ? "Bad gRPC response" : "is not a Seldon answer (text/html", result.Summary.StopReason);
    }

    [Fact]
    public async Task GRPC_sent_to_the_REST_port_stops_at_once_naming_the_port_mix_up()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions());
        var options = Options(server.RestPort, "grpc");
        // The run's waits (the first seconds without an answer, the breaker, backoff) pass on its own clock, moved on by
        // the test, so a run that waited for the model would end soon too, but as unreachable.
        var clock = new FakeTimeProvider();

        var result = await RunFileAsync(options, NumberedInput(50), o => FakeClock.RunAsync(o, clock, TimeSpan.FromMilliseconds(100)));

        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Empty(result.Outputs);
        // Stopped as a misconfiguration, not by the wait for a model that never answered.
        Assert.Contains("is it a REST port? is Transport right, or Host?", result.Summary.StopReason);
        Assert.Contains("cannot be used", result.Summary.StopReason);
        Assert.DoesNotContain("is unreachable", result.Summary.StopReason);
    }

    [Fact]
    public async Task A_wrong_deployment_name_behind_the_built_in_ingress_stops_at_once()
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { Deployment = "demo" });
        var options = Options(server, "rest").WithEndpoint(e => e with { Gateway = Seldon.Batch.Dataflow.GatewayType.Istio, DeploymentName = "dmeo" });

        var result = await RunFileAsync(options, NumberedInput(50));

        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Empty(result.Outputs);
        Assert.Contains("/seldon/default/dmeo/api/v1.0/predictions", result.Summary.StopReason);
        Assert.Contains("is the deployment name right?", result.Summary.StopReason);
        Assert.InRange(server.Statistics.UnknownRoutes, 1, 2 * options.Block.Workers);
    }

    public static TheoryData<string, ServerOutageMode> TransportsAndOutageModes => new()
    {
        { "rest", ServerOutageMode.Reset }, { "rest", ServerOutageMode.Unavailable },
        { "grpc", ServerOutageMode.Reset }, { "grpc", ServerOutageMode.Unavailable },
    };

    [Theory]
    [MemberData(nameof(TransportsAndOutageModes))]
    public async Task A_model_that_goes_away_mid_run_is_waited_for_and_every_line_is_predicted_in_order(string transport, ServerOutageMode mode)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { OutageAfter = 40, OutageSeconds = 2, OutageMode = mode });
        const int count = 300;

        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { Workers = 4, MaxAttempts = 2 }), NumberedInput(count));

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertPredicted(result.Outputs, count);
        Assert.Equal(0, result.Summary.Failed);
        Assert.True(server.Statistics.InjectedFailures > 0, "the outage did not happen");
        // The requests that met the outage were sent again, more often than --retries 2 allows for a transient failure
        // (a reset pooled connection is also sent again by the HTTP stack itself, which the server counts but we do not).
        Assert.True(result.Summary.Retries > 2, $"{result.Summary.Retries} retries for {server.Statistics.InjectedFailures} failures");
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_outage_longer_than_max_outage_stops_with_a_resumable_prefix_that_resume_completes(string transport)
    {
        const int count = 200;
        var dir = Directory.CreateTempSubdirectory("sbd-outage-");
        try
        {
            var input = Path.Combine(dir.FullName, "input.txt");
            var output = Path.Combine(dir.FullName, "output.txt");
            await File.WriteAllBytesAsync(input, NumberedInput(count));
            RunSummary stopped;
            await using (var failing = await DemoModelServer.StartAsync(
                new ServeOptions { OutageAfter = 30, OutageSeconds = 3600, OutageMode = ServerOutageMode.Unavailable }))
            {
                var options = Options(failing, transport).WithBlock(b => b with { Workers = 2, MaxOutage = TimeSpan.FromSeconds(1) }) with
                {
                    InputDataPath = input,
                    OutputDataPath = output,
                };
                stopped = await BatchRun.RunAsync(options);
            }

            Assert.Equal(RunOutcome.Stopped, stopped.Outcome);
            Assert.Contains("is unreachable", stopped.StopReason);
            Assert.Contains("MaxOutage 1 s", stopped.StopReason);
            Assert.False(File.Exists(output));
            var prefix = ReadLines(output + ".partial");
            Assert.InRange(prefix.Length, 1, count - 1);
            AssertPredicted(prefix, prefix.Length); // no error record for a line that was never answered
            Assert.Equal(0, stopped.Failed);

            await using var healthy = await DemoModelServer.StartAsync(new ServeOptions());
            var resumed = await BatchRun.RunAsync(Options(healthy, transport) with { InputDataPath = input, OutputDataPath = output, Resume = true });

            Assert.Equal(RunOutcome.Completed, resumed.Outcome);
            AssertPredicted(ReadLines(output), count);
            Assert.Equal(count - prefix.Length, healthy.Statistics.Requests);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("rest", 1)]
    [InlineData("rest", 5)]
    [InlineData("grpc", 1)]
    [InlineData("grpc", 5)]
    public async Task Five_percent_of_503s_are_ridden_through_with_every_line_predicted_in_order(string transport, int batchSize)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { FailRate = 0.05, FailStatus = 503, Seed = 9 });
        const int count = 2000;

        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { Workers = 8, BatchSize = batchSize }), NumberedInput(count));

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertPredicted(result.Outputs, count);
        Assert.True(server.Statistics.InjectedFailures > 0);
        Assert.Equal(server.Statistics.InjectedFailures, result.Summary.Retries);
    }

    [Theory]
    [InlineData("rest", 5, 400)]
    [InlineData("rest", 32, 500)]
    [InlineData("grpc", 5, 500)]
    [InlineData("grpc", 32, 400)]
    public async Task A_refused_row_inside_a_micro_batch_fails_alone_with_its_own_reason(string transport, int batchSize, int refuseStatus)
    {
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { RefuseValue = "13", RefuseStatus = refuseStatus });
        const int count = 100;

        var result = await RunFileAsync(Options(server, transport).WithBlock(b => b with { BatchSize = batchSize }), NumberedInput(count));

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        AssertOrdered(result, count);
        Assert.Equal(1, result.Summary.Failed);
        var reason = Reason(result.Outputs[13]);
        Assert.Contains(transport == "grpc" ? (refuseStatus == 400 ? "InvalidArgument" : "Internal") : (refuseStatus == 400 ? "MICROSERVICE_BAD_DATA" : "MICROSERVICE_INTERNAL_ERROR"), reason);
        AssertPredicted(result.Outputs.Take(13).ToArray(), 13);
        for (var i = 14; i < count; i++)
        {
            AssertPrediction(result.Outputs[i], i);
        }

        // The refused micro-batch was sent again line by line, and nothing else twice.
        var requests = ((count + batchSize - 1) / batchSize) + batchSize;
        Assert.Equal(requests, server.Statistics.Requests);
        Assert.Equal(0, result.Summary.Retries);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_stop_sends_no_buffered_line_and_keeps_a_valid_prefix(string transport)
    {
        // Answers take 2 s: the stop comes while the first two requests are still in flight, however busy the machine.
        await using var server = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 2000 });
        var dir = Directory.CreateTempSubdirectory("sbd-stop-");
        try
        {
            var input = Path.Combine(dir.FullName, "input.txt");
            var output = Path.Combine(dir.FullName, "output.txt");
            await File.WriteAllBytesAsync(input, NumberedInput(500));
            using var stop = new CancellationTokenSource();
            var options = Options(server, transport).WithBlock(b => b with { Workers = 2 }) with { InputDataPath = input, OutputDataPath = output };
            var run = BatchRun.RunAsync(options, cancellationToken: stop.Token);

            var clock = Stopwatch.StartNew();
            while (server.Statistics.Requests < 2)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the run sent no request");
                await Task.Delay(5);
            }

            await stop.CancelAsync();
            var summary = await run.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(RunOutcome.Interrupted, summary.Outcome);
            // The two requests in flight finish (the run counts both answers); the hundreds of lines read and buffered
            // are not sent.
            Assert.Equal(2, server.Statistics.Requests);
            Assert.Equal(2, summary.Requests);
            // They had --shutdown-timeout to finish: their lines are the prefix as far as it goes without a gap, and
            // --resume goes on from there. Lines 0 and 1 as a rule; fewer when a later line took one of the two places on
            // the wire before line 0 or 1 reached it (at a cold start the first groups race for the free places; only a
            // freed place goes to the earliest line waiting): that line's answer lies beyond the gap and is not kept.
            var prefix = ReadLines(output + ".partial");
            Assert.InRange(prefix.Length, 0, 2);
            AssertPredicted(prefix, prefix.Length);
            Assert.Equal(prefix.Length, summary.Instances);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Wait_ready_waits_out_a_deployment_that_is_not_routed_yet(string transport)
    {
        var ports = new ServeOptions { RestPort = FreePort(), GrpcPort = FreePort() };
        var notYet = await StartOnAsync(new ServeOptions { RestPort = ports.RestPort, GrpcPort = ports.GrpcPort, AnswerStatus = 404 });
        DemoModelServer? ready = null;
        try
        {
            const int count = 40;
            var run = Task.Run(() => RunFileAsync(
                BatchHarness.Options(transport == "grpc" ? ports.GrpcPort : ports.RestPort, transport).WithBlock(b => b with { WaitReady = TimeSpan.FromSeconds(60) }),
                NumberedInput(count)));

            var clock = Stopwatch.StartNew();
            while (notYet.Statistics.Requests < 1)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the run sent no request");
                await Task.Delay(5);
            }

            await notYet.StopAsync();
            Assert.False(run.IsCompleted, "a 404 within --wait-ready stopped the run");
            ready = await StartOnAsync(new ServeOptions { RestPort = ports.RestPort, GrpcPort = ports.GrpcPort });
            var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
            AssertPredicted(result.Outputs, count);
        }
        finally
        {
            await notYet.DisposeAsync();
            if (ready is not null)
            {
                await ready.DisposeAsync();
            }
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_route_removed_mid_run_stops_it_after_the_retries_with_a_valid_prefix(string transport)
    {
        var ports = new ServeOptions { RestPort = FreePort(), GrpcPort = FreePort() };
        var first = await StartOnAsync(new ServeOptions { RestPort = ports.RestPort, GrpcPort = ports.GrpcPort, DelayMs = 5 });
        DemoModelServer? removed = null;
        try
        {
            const int count = 2000;
            var run = Task.Run(() => RunFileAsync(
                BatchHarness.Options(transport == "grpc" ? ports.GrpcPort : ports.RestPort, transport).WithBlock(b => b with { Workers = 2, MaxAttempts = 3 }),
                NumberedInput(count)));

            var clock = Stopwatch.StartNew();
            while (first.Statistics.Requests < 20)
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the run did not reach 20 requests");
                await Task.Delay(5);
            }

            // The ingress now answers 404 for the deployment: after the model answered, this is retried, then stops the run.
            await first.StopAsync();
            removed = await StartOnAsync(new ServeOptions { RestPort = ports.RestPort, GrpcPort = ports.GrpcPort, AnswerStatus = 404 });
            var result = await run.WaitAsync(TimeSpan.FromSeconds(60));

            Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
            Assert.Contains("cannot be used", result.Summary.StopReason);
            Assert.Contains(transport == "grpc" ? "Unimplemented" : "HTTP 404", result.Summary.StopReason);
            Assert.InRange(result.Outputs.Length, 1, count - 1);
            AssertPredicted(result.Outputs, result.Outputs.Length); // no error record for the lines the 404s met
            Assert.True(result.Summary.Retries >= 2, $"the 404 was not retried: {result.Summary.Retries} retries");
        }
        finally
        {
            await first.DisposeAsync();
            if (removed is not null)
            {
                await removed.DisposeAsync();
            }
        }
    }

    private static JsonObject[] ReadLines(string path) => File.Exists(path)
        ? File.ReadAllLines(path).Select(l => JsonNode.Parse(l)!.AsObject()).ToArray()
        : [];
}
