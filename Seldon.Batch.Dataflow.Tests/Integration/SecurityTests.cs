using Seldon.Batch.Dataflow.Pipeline;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Integration.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Integration;

/// <summary>TLS, certificate checks, tokens and the Seldon headers, over both transports, against a TLS server.</summary>
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
        var options = Options(_server, transport) with { CallCredentialsToken = "s3cret", SslVerify = false, Namespace = "prod", DeploymentName = "iris" };

        var result = await RunAsync(options, ["[[1, 2]]", "[[3, 4]]"]);

        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome);
        Assert.Equal(2, result.Summary.Succeeded);
        Assert.Equal("[[6,8]]", result.Outputs[1]["data"]!["ndarray"]!.ToJsonString());
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
    public async Task A_wrong_token_fails_at_once_without_retries(string transport)
    {
        var before = _server.Statistics.Unauthorized;
        var options = Options(_server, transport) with { UseSsl = true, CallCredentialsToken = "wrong", SslVerify = false, Retries = 3 };

        var result = await RunAsync(options, ["[[1]]", "[[2]]"]);

        Assert.All(result.Outputs, o => Assert.True(IsError(o)));
        Assert.Equal(transport == "grpc" ? 16 : 401, result.Outputs[0]["status"]!["code"]!.GetValue<int>());
        Assert.Equal(0, result.Summary.Retries);
        Assert.Equal(before + 2, _server.Statistics.Unauthorized);
        Assert.Equal(RunOutcome.Completed, result.Summary.Outcome); // the model answered: it is reachable
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task An_untrusted_certificate_is_refused_when_verification_is_on(string transport)
    {
        var options = Options(_server, transport) with { UseSsl = true, CallCredentialsToken = "s3cret", SslVerify = true, Retries = 1 };

        var result = await RunAsync(options, ["[[1]]", "[[2]]", "[[3]]"]);

        Assert.Equal(RunOutcome.Stopped, result.Summary.Outcome);
        Assert.All(result.Outputs, o => Assert.Contains("certificate", Reason(o), StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task Plain_http_against_a_tls_server_gets_no_answer(string transport)
    {
        var options = Options(_server, transport) with { Retries = 1 };

        var result = await RunAsync(options, ["[[1]]"]);

        Assert.True(IsError(result.Outputs[0]));
        Assert.Equal(0, result.Summary.Succeeded);
    }
}
