using System.CommandLine;
using Seldon.Batch.Dataflow.Cli;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The options of the protocol choice: --protocol, --model-name, --model-version, --input-name, --datatype and
/// the repeatable --header, with their environment variables and their refusals.</summary>
public sealed class ProtocolOptionsTests
{
    private static CliRun Bind(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var line = new BatchCommandLine();
        var root = new RootCommand("test");
        foreach (var setting in line.Settings)
        {
            root.Options.Add(setting.Option);
        }

        root.Options.Add(line.Headers.Option);
        var parse = root.Parse(args);
        Assert.Empty(parse.Errors);
        return line.Bind(parse, name => environment is not null && environment.TryGetValue(name, out var v) ? v : null);
    }

    [Fact]
    public void The_defaults_keep_the_seldon_protocol()
    {
        var options = Bind(null, "-d", "iris").Options;

        Assert.Equal(InferenceProtocol.Seldon, options.Endpoint.Protocol);
        Assert.Empty(options.Endpoint.Headers);
        Assert.Equal(("", "", "", ""), (options.Endpoint.ModelName, options.Endpoint.ModelVersion, options.Block.InputName, options.Block.InputDatatype));
    }

    [Fact]
    public void Flags_set_the_v2_options_and_headers_repeat()
    {
        var options = Bind(null,
            "-d", "iris", "--protocol", "v2", "--model-name", "m", "--model-version", "3", "--input-name", "x", "--datatype", "fp32",
            "--header", "seldon-model: m", "--header", "Host:m.default.example.com").Options;

        Assert.Equal(InferenceProtocol.V2, options.Endpoint.Protocol);
        Assert.Equal(("m", "3", "x", "FP32"), (options.Endpoint.ModelName, options.Endpoint.ModelVersion, options.Block.InputName, options.Block.InputDatatype));
        Assert.Equal([new("seldon-model", "m"), new("Host", "m.default.example.com")], options.Endpoint.Headers);
    }

    [Fact]
    public void Environment_variables_set_them_and_flags_win()
    {
        var environment = new Dictionary<string, string>
        {
            ["SELDON_BATCH_PROTOCOL"] = "v2",
            ["SELDON_BATCH_MODEL_NAME"] = "from-env",
            ["SELDON_BATCH_HEADERS"] = "a: 1\nb: 2\n",
        };

        var fromEnvironment = Bind(environment, "-d", "iris").Options;
        var flagged = Bind(environment, "-d", "iris", "--model-name", "flag", "--header", "c: 3").Options;

        Assert.Equal(InferenceProtocol.V2, fromEnvironment.Endpoint.Protocol);
        Assert.Equal("from-env", fromEnvironment.Endpoint.ModelName);
        Assert.Equal([new("a", "1"), new("b", "2")], fromEnvironment.Endpoint.Headers);
        Assert.Equal("flag", flagged.Endpoint.ModelName);
        Assert.Equal([new("c", "3")], flagged.Endpoint.Headers);
    }

    [Theory]
    [InlineData("--protocol", "--protocol", "v3")]
    [InlineData("--datatype", "--protocol", "v2", "--datatype", "FLOAT")]
    [InlineData("--header", "--header", "no colon")]
    [InlineData("--method feedback", "--protocol", "v2", "-m", "feedback", "-a", "raw")]
    [InlineData("--model-version", "--model-version", "2")]
    [InlineData("--model-name", "--model-name", "clf")]
    public async Task Bad_settings_exit_2_naming_the_option(string named, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await CliApplication.RunAsync(["-d", "iris", "-i", "/dev/null", "-o", "/tmp/never-written.txt", .. args], _ => null, stdout, stderr);

        Assert.Equal(ExitCodes.InvalidSettings, code);
        Assert.Contains(named, stderr.ToString());
    }
}
