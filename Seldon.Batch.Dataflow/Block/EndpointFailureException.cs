
namespace Seldon.Batch.Dataflow;

/// <summary>A <see cref="PredictionBlock"/> stopped because of its endpoint (a wrong route or token, an outage past
/// <see cref="PredictionBlockOptions.MaxOutage"/>), not because of its lines: the block's completion faults with it once the
/// results before the first line not answered were delivered.</summary>
public sealed class EndpointFailureException : Exception
{
    /// <summary>Creates the exception for <paramref name="failure"/>.</summary>
    public EndpointFailureException(PredictionFailure failure)
        : base($"the endpoint stopped the predictions: {failure.Detail}")
    {
        Failure = failure;
    }

    /// <summary>The failure that stopped sending: its kind (outage or misconfiguration), status and detail.</summary>
    public PredictionFailure Failure { get; }

    /// <summary>The message with each setting it names (<c>is EndpointSettings.Host right?</c>) written as
    /// <paramref name="name"/> returns it (see <see cref="PredictionFailure.FormatDetail"/>).</summary>
    /// <param name="name">The word for a setting, given its bare property name (<c>Host</c>).</param>
    public string FormatMessage(Func<string, string> name) => $"the endpoint stopped the predictions: {Failure.FormatDetail(name)}";
}
