
namespace Seldon.Batch.Dataflow;

// How the run's own messages (stop reasons, storage failures, error records' hints) name a setting the user may have
// to change.
public sealed partial record BatchOptions
{
    /// <summary>The caller's word for a property of these options in the run's messages (a command line passes its flag:
    /// <c>Host</c> → <c>--host</c>); the property's own name when null. As <see cref="InvalidBatchOptionsException.FormatMessage"/>
    /// does for validation, so one mapping serves both.</summary>
    internal Func<string, string>? SettingName { get; init; }

    /// <summary>The word for a setting that a message of the library names by its type and property
    /// (<c>EndpointSettings.Host</c>, <c>PredictionBlockOptions.MaxOutage</c>, <c>BatchOptions.Transport</c>) or by a
    /// property of these options (<c>MaxFailures</c>): the property of these options it comes from, as
    /// <see cref="SettingName"/> words it.</summary>
    internal string NameOf(string setting)
    {
        var property = PropertyOf(setting);
        return SettingName?.Invoke(property) ?? property;
    }

    /// <summary>The property of these options that a setting named in the library's terms comes from
    /// (<c>EndpointSettings.Token</c> → <c>CallCredentialsToken</c>, <c>PredictionBlockOptions.MaxOutage</c> →
    /// <c>MaxOutage</c>); a property of these options stays as it is.</summary>
    internal static string PropertyOf(string setting) => setting switch
    {
        SettingNames.Token => nameof(CallCredentialsToken),
        SettingNames.MaxMessageBytes => nameof(GrpcMaxMessageBytes),
        _ => setting[(setting.IndexOf('.', StringComparison.Ordinal) + 1)..],
    };

    /// <summary><paramref name="text"/> (a failure's detail in the library's terms) with each setting it names as
    /// <see cref="NameOf"/> words it.</summary>
    internal string Describe(string text) => SettingNames.Format(text, NameOf);
}
