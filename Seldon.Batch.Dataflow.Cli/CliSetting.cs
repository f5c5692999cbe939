using System.CommandLine;

namespace Seldon.Batch.Dataflow.Cli;

/// <summary>One option of the command line with the environment variable and default behind it:
/// a flag wins over the variable, the variable over the default.</summary>
internal sealed class CliSetting
{
    public CliSetting(string name, string? shortName, string? environmentVariable, string? defaultValue, string description, string? valueHelp = null)
    {
        EnvironmentVariable = environmentVariable;
        Default = defaultValue;
        var help = description;
        if (environmentVariable is not null)
        {
            help += $" [env: {environmentVariable}]";
        }

        if (defaultValue is not null)
        {
            help += $" [default: {(defaultValue.Length == 0 ? "\"\"" : defaultValue)}]";
        }

        Option = shortName is null ? new Option<string>(name) : new Option<string>(name, shortName);
        Option.Description = help;
        Option.HelpName = valueHelp ?? "value";
    }

    public Option<string> Option { get; }

    public string? EnvironmentVariable { get; }

    public string? Default { get; }

    public string Name => Option.Name;

    /// <summary>Whether the value comes from the command line or the environment rather than the default.</summary>
    public bool IsGiven(ParseResult parse, Func<string, string?> environment) =>
        parse.GetResult(Option) is { Implicit: false }
        || (EnvironmentVariable is not null && environment(EnvironmentVariable) is { Length: > 0 });

    /// <summary>The value from the command line, else the environment, else the default (null when none).</summary>
    public string? Resolve(ParseResult parse, Func<string, string?> environment)
    {
        if (parse.GetResult(Option) is { Implicit: false })
        {
            return parse.GetValue(Option);
        }

        // An empty variable counts as unset, as in click (a manifest's value: "" keeps the default).
        if (EnvironmentVariable is not null && environment(EnvironmentVariable) is { Length: > 0 } fromEnvironment)
        {
            return fromEnvironment;
        }

        return Default;
    }
}
