using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Transport;

/// <summary>TLS, certificate checks, tokens and the Seldon headers, over both transports, against a TLS server.</summary>
[Trait("Category", "Integration")]
public sealed class SecurityTests : IAsyncLifetime
{
    private DemoModelServer _server = null!;

    public static TheoryData<string> Transports => new() { "rest", "grpc" };

    public async Task InitializeAsync() =>
        _server = await DemoModelServer.StartAsync(new ServeOptions { UseTls = true, RequiredToken = "s3cret" });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_token_implies_tls_and_reaches_the_server_with_the_seldon_headers(string transport)
    {
        var options = Options(_server, transport).WithEndpoint(e => e with { Token = "s3cret", SslVerify = false, Namespace = "prod", DeploymentName = "iris" });

        var result = await RunAsync(options, ["[[1, 2]]", "[[3, 4]]"]);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.Equal(2, result.Summary.Succeeded);
        Assert.Equal(transport == "grpc" ? "[[6.0,8.0]]" : "[[6,8]]", result.Outputs[1]["data"]!["ndarray"]!.ToJsonString());
        var headers = _server.Statistics.LastHeaders;
        Assert.Equal("s3cret", headers["x-auth-token"]);
        Assert.False(string.IsNullOrEmpty(headers["seldon-puid"]));
        if (transport == "grpc")
        {
            Assert.Equal("iris", headers["seldon"]);
            Assert.Equal("prod", headers["namespace"]);
        }
        else
        {
            Assert.StartsWith("application/json", headers["content-type"]);
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task A_wrong_token_stops_the_run_at_once_without_retries_or_error_records(string transport)
    {
        var before = _server.Statistics.Unauthorized;
        var options = Options(_server, transport).WithEndpoint(e => e with { UseSsl = true, Token = "wrong", SslVerify = false }).WithBlock(b => b with { MaxAttempts = 3 });

        var result = await RunAsync(options, ["[[1]]", "[[2]]"]);

        // A wrong token is a misconfiguration: no line is written as an error record, the run stops and says why.
        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Empty(result.Outputs);
        Assert.Contains(transport == "grpc" ? "Unauthenticated" : "HTTP 401", result.Summary.StopReason);
        Assert.Contains("is the token right?", result.Summary.StopReason);
        Assert.Equal(0, result.Summary.Retries);
        Assert.InRange(_server.Statistics.Unauthorized - before, 1, 2);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_untrusted_certificate_is_refused_when_verification_is_on(string transport)
    {
        var options = Options(_server, transport).WithEndpoint(e => e with { UseSsl = true, Token = "s3cret", SslVerify = true }).WithBlock(b => b with { MaxAttempts = 1 });

        var result = await RunAsync(options, ["[[1]]", "[[2]]", "[[3]]"]);

        // A refused certificate is a misconfiguration: the run stops at once, saying why, with no error record.
        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Empty(result.Outputs);
        Assert.Contains("certificate", result.Summary.StopReason, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("UseSsl, SslVerify?", result.Summary.StopReason);
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Plain_http_against_a_tls_server_gets_no_answer_and_stops_the_run(string transport)
    {
        var options = Options(_server, transport).WithBlock(b => b with { MaxAttempts = 1, MaxOutage = TimeSpan.FromSeconds(1) });

        var result = await RunAsync(options, ["[[1]]"]);

        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.Empty(result.Outputs);
        Assert.Equal(0, result.Summary.Succeeded);
    }
}
