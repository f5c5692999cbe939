using System.Text.RegularExpressions;

namespace Seldon.Batch.Dataflow;

/// <summary>How the library's messages name a setting that a user may have to change: by its type and property
/// (<c>EndpointSettings.Host</c>), which is what a library user set. A front end with words of its own (a command line's
/// <c>--host</c>) replaces each with its word through <see cref="Format"/>, given the bare property name (<c>Host</c>) as
/// for the messages of <see cref="InvalidBatchOptionsException"/>: property names are unique across the option types,
/// so one mapping serves both.</summary>
internal static partial class SettingNames
{
    public const string Host = "EndpointSettings.Host";
    public const string DeploymentName = "EndpointSettings.DeploymentName";
    public const string Namespace = "EndpointSettings.Namespace";
    public const string Gateway = "EndpointSettings.Gateway";
    public const string Transport = "EndpointSettings.Transport";
    public const string Token = "EndpointSettings.Token";
    public const string UseSsl = "EndpointSettings.UseSsl";
    public const string SslVerify = "EndpointSettings.SslVerify";
    public const string MaxMessageBytes = "EndpointSettings.MaxMessageBytes";
    public const string Protocol = "EndpointSettings.Protocol";
    public const string ModelName = "EndpointSettings.ModelName";

    public const string MaxOutage = "PredictionBlockOptions.MaxOutage";
    public const string WaitReady = "PredictionBlockOptions.WaitReady";

    public const string MaxFailures = "BatchOptions.MaxFailures";

    /// <summary>How the messages write a setting's value of an enum (<c>DataType.Ndarray</c> → <c>ndarray</c>): the word a
    /// command line takes for it. Here, below the option types, so that the block and the run word values alike.</summary>
    public static string ValueOf<T>(T value) where T : struct, Enum => value.ToString().ToLowerInvariant();

    /// <summary><paramref name="text"/> with every setting it names written as <paramref name="name"/> returns it for the
    /// setting's bare property name (<c>EndpointSettings.Host</c> → <c>name("Host")</c>).</summary>
    public static string Format(string text, Func<string, string> name) =>
        Named().Replace(text, match => name(match.Groups["property"].Value));

    [GeneratedRegex(@"\b(?:EndpointSettings|PredictionBlockOptions|BatchOptions)\.(?<property>[A-Z][A-Za-z0-9]*)\b", RegexOptions.CultureInvariant)]
    private static partial Regex Named();
}
