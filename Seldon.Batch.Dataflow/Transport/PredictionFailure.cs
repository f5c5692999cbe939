namespace Seldon.Batch.Dataflow;

/// <summary>Why a request got no usable answer. A client makes one with <see cref="PredictionResponse.Failed"/> or
/// <see cref="PredictionResponse.Unanswered"/>; tests may use <see cref="BatchModelFactory.PredictionFailure"/>.</summary>
public sealed record PredictionFailure
{
    internal PredictionFailure(PredictionFailureKind kind, int status, string detail)
    {
        Kind = kind;
        Status = status;
        Detail = detail;
    }

    /// <summary>What the failure is about, which decides whether it is retried, waited out, written as the lines' error
    /// records or stops the run.</summary>
    public PredictionFailureKind Kind { get; }

    /// <summary>The HTTP status or the gRPC status code; 0 when no answer arrived at all (refused, reset, unresolvable,
    /// timed out over REST).</summary>
    public int Status { get; }

    /// <summary>The reason, as written in error records: "HTTP 400 Bad Request from http://…: …", "gRPC Unavailable from
    /// http://…: …", "no answer from … within 60 s"…; never empty. A failure that a setting can fix names it by its type
    /// and property (<c>is EndpointSettings.Host right?</c>); <see cref="FormatDetail"/> names it otherwise.</summary>
    public string Detail { get; }

    /// <summary>Whether the failure is about the endpoint rather than the lines (an outage or a misconfiguration): its
    /// lines are never written as error records.</summary>
    public bool IsAboutEndpoint => Kind is PredictionFailureKind.Outage or PredictionFailureKind.Misconfiguration;

    /// <summary>Whether the server answered at all (even to refuse): false for connection failures and timeouts.</summary>
    public bool ReachedServer { get; internal init; } = true;

    /// <summary>The detail with each setting it names (<c>EndpointSettings.Host</c>) written as <paramref name="name"/>
    /// returns it: a front end passes its own word for a setting (a command line's <c>--host</c>). A detail that names no
    /// setting is returned as it is.</summary>
    /// <param name="name">The word for a setting, given its bare property name (<c>Host</c> for
    /// <c>EndpointSettings.Host</c>, <c>MaxOutage</c>), as <see cref="InvalidBatchOptionsException.FormatMessage"/> gives it.</param>
    public string FormatDetail(Func<string, string> name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return SettingNames.Format(Detail, name);
    }

    /// <inheritdoc />
    public override string ToString() => Detail;
}
