
namespace Seldon.Batch.Dataflow;

// How the run's own messages (stop reasons, storage failures, error records' hints) name a setting the user may have
// to change.
public sealed partial record BatchOptions
{
    /// <summary>The caller's word for a setting in the run's messages (stop reasons, error records, storage failures),
    /// given its bare property name (a command line passes its flag: <c>Host</c> → <c>--host</c>, <c>MaxAttempts</c> →
    /// <c>--retries</c>); the bare property name itself when null. Property
    /// names are unique across <see cref="BatchOptions"/>, <see cref="EndpointSettings"/> and
    /// <see cref="PredictionBlockOptions"/>, so the same function words <see cref="InvalidBatchOptionsException.FormatMessage"/>.</summary>
    public Func<string, string>? SettingName { get; init; }

    /// <summary>The word for a setting by its bare property name (<c>MaxFailures</c>), as <see cref="SettingName"/> words it.</summary>
    internal string NameOf(string property) => SettingName?.Invoke(property) ?? property;

    /// <summary><paramref name="text"/> (a failure's detail in the library's terms) with each setting it names
    /// (<c>EndpointSettings.Host</c>) as <see cref="NameOf"/> words it.</summary>
    internal string Describe(string text) => SettingNames.Format(text, NameOf);
}
