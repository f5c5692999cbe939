using System.CommandLine;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>The repeatable <c>--header "Name: value"</c> option, or <c>SELDON_BATCH_HEADERS</c> with one header per line
/// when no flag is given: what gateways route on (Seldon Core 2's <c>seldon-model</c>, KServe's <c>Host</c>).</summary>
internal sealed class CliHeaders
{
    public const string EnvironmentVariable = "SELDON_BATCH_HEADERS";

    public Option<string[]> Option { get; } = new("--header")
    {
        Description = $"A request header (REST) or metadata entry (gRPC) sent with every request, \"Name: value\"; repeat for more [env: {EnvironmentVariable}, one per line]",
        HelpName = "NAME: VALUE",
        AllowMultipleArgumentsPerToken = false,
        Arity = ArgumentArity.ZeroOrMore,
    };

    /// <summary>The headers from the flags, else from the variable; throws <see cref="InvalidBatchOptionsException"/> for
    /// one that is not "Name: value".</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Resolve(ParseResult parse, Func<string, string?> environment)
    {
        var given = parse.GetValue(Option) is { Length: > 0 } flags
            ? flags
            : (environment(EnvironmentVariable) ?? "").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return [.. given.Select(Parse)];
    }

    private static KeyValuePair<string, string> Parse(string header)
    {
        var colon = header.IndexOf(':');
        var name = colon > 0 ? header[..colon].Trim() : "";
        if (name.Length == 0)
        {
            throw new InvalidBatchOptionsException($"--header: '{header}' is not \"Name: value\"");
        }

        return new(name, header[(colon + 1)..].Trim());
    }
}
