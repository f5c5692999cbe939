using Seldon.Batch.Dataflow.Server;

namespace Seldon.Batch.Dataflow.Server.Tests;

[Trait("Category", "Integration")]
public sealed class ServeOptionsTests
{
    [Fact]
    public void Defaults_are_valid()
    {
        var options = new ServeOptions();

        options.Validate();

        Assert.Equal("127.0.0.1", options.Host);
        Assert.Equal(503, options.FailStatus);
        Assert.Equal(12345, options.Seed);
    }

    public static TheoryData<Action<ServeOptions>, string, string> InvalidSettings => new()
    {
        { o => o.Host = "", nameof(ServeOptions.Host), "empty" },
        { o => o.Host = "model.example.com", nameof(ServeOptions.Host), "IP address or 'localhost'" },
        { o => o.RestPort = -1, nameof(ServeOptions.RestPort), "from 0" },
        { o => o.RestPort = 70000, nameof(ServeOptions.RestPort), "70000" },
        { o => o.GrpcPort = -2, nameof(ServeOptions.GrpcPort), "-1 (no gRPC)" },
        { o => { o.RestPort = 9000; o.GrpcPort = 9000; }, nameof(ServeOptions.GrpcPort), "must differ" },
        { o => o.FailFirst = -1, nameof(ServeOptions.FailFirst), "cannot be negative" },
        { o => o.FailEvery = -3, nameof(ServeOptions.FailEvery), "cannot be negative" },
        { o => o.DropEvery = -1, nameof(ServeOptions.DropEvery), "cannot be negative" },
        { o => o.DelayMs = -5, nameof(ServeOptions.DelayMs), "cannot be negative" },
        { o => o.MaxRandomDelayMs = -5, nameof(ServeOptions.MaxRandomDelayMs), "cannot be negative" },
        { o => o.FailRate = 1.5, nameof(ServeOptions.FailRate), "from 0 to 1" },
        { o => o.FailRate = double.NaN, nameof(ServeOptions.FailRate), "from 0 to 1" },
        { o => o.FailStatus = 200, nameof(ServeOptions.FailStatus), "from 400 to 599" },
        { o => o.AnswerStatus = 99, nameof(ServeOptions.AnswerStatus), "from 200 to 599" },
        { o => o.OutageAfter = -1, nameof(ServeOptions.OutageAfter), "cannot be negative" },
        { o => o.OutageSeconds = -1, nameof(ServeOptions.OutageSeconds), "from 0 to 86400" },
        { o => o.RefuseStatus = 404, nameof(ServeOptions.RefuseStatus), "400 (bad data) or 500" },
        { o => { o.AnswerPosition = true; o.FixedAnswer = true; }, nameof(ServeOptions.AnswerPosition), "fixed answers do not run it" },
        { o => o.SlowDelayMs = -1, nameof(ServeOptions.SlowDelayMs), "cannot be negative" },
    };

    [Theory]
    [MemberData(nameof(InvalidSettings))]
    public void Validate_names_the_bad_setting(Action<ServeOptions> spoil, string parameter, string expected)
    {
        var options = new ServeOptions();
        spoil(options);

        var error = Assert.Throws<ArgumentException>(options.Validate);

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    public void Addresses_and_localhost_are_valid_hosts(string host)
    {
        new ServeOptions { Host = host }.Validate();
    }

    [Fact]
    public async Task StartAsync_rejects_invalid_options_before_binding()
    {
        await Assert.ThrowsAsync<ArgumentException>(() => DemoModelServer.StartAsync(new ServeOptions { FailRate = -1 }));
    }
}
