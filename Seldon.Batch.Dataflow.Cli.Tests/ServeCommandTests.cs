using System.Net;
using System.Net.Sockets;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary><c>serve</c> as the executable, for what a user meets on the console.</summary>
[Trait("Category", "Integration")]
public sealed class ServeCommandTests
{
    [Theory]
    [InlineData("--port")]
    [InlineData("--grpc-port")]
    public async Task A_busy_port_is_one_line_naming_it_and_exit_code_2(string flag)
    {
        // Held open for the whole test: the port stays taken, so the server cannot bind it.
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] ports = flag == "--port" ? ["--port", port, "--grpc-port", "0"] : ["--port", "0", "--grpc-port", port];

        var (code, stdout, stderr) = await RunAsync(["serve", .. ports]);

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        Assert.Equal("", stdout);
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.Contains($"127.0.0.1:{port} ({flag})", line);
        Assert.Contains("in use", line);
    }

    [Fact]
    public async Task Answer_position_is_refused_with_fixed_answers_which_do_not_run_the_model()
    {
        var (code, stdout, stderr) = await RunAsync(["serve", "--port", "0", "--grpc-port", "0", "--answer-position", "--fixed-answer"]);

        Assert.True(code == 2, $"exit code {code}: {stderr}");
        Assert.Equal("", stdout);
        Assert.Contains("fixed answers do not run it", Assert.Single(stderr.Trim().Split('\n')));
    }
}
