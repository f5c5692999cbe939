using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>Split, the last step of the predict stage: each answer into one result per line with the protocol's codec
/// (tags merged, error records for a failed request). A defect of the codec costs the request's lines an error record
/// each, never the network.</summary>
/// <param name="codec">The protocol's codec.</param>
/// <param name="settingName">The word for a setting a failure names (a file run's properties); its own name when null.</param>
/// <param name="logger">Where a defect is logged.</param>
internal sealed class SplitStage(IBatchCodec codec, Func<string, string>? settingName, ILogger logger)
{
    /// <summary>The results of the requests answered, in line order (one request, as nearly always: its results as they
    /// are, without copying), with whether every request of the group was answered and how many lines it had.</summary>
    public PredictedGroup Split(PredictedBatch predicted, int lines) => new(
        predicted.Parts.Count switch
        {
            0 => [],
            1 => Compose(predicted.Parts[0].Batch, predicted.Parts[0].Response),
            _ => [.. predicted.Parts.SelectMany(p => Compose(p.Batch, p.Response))],
        },
        predicted.Answered)
    {
        Lines = lines,
    };

    /// <summary>The results of a group sent as one request, answered (<paramref name="response"/>), or with nothing to
    /// send (null): no list of parts to make for it.</summary>
    public PredictedGroup Split(EncodedBatch encoded, PredictionResponse? response, int lines) => new(Compose(encoded, response), Answered: true)
    {
        Lines = lines,
    };

    /// <summary>One result per member of <paramref name="encoded"/>: from the answer <paramref name="r"/>, or its
    /// failure, or (null) the members' own encoding errors.</summary>
    private InstanceResult[] Compose(EncodedBatch encoded, PredictionResponse? r)
    {
        try
        {
            return codec.Compose(encoded, r?.Answer ?? default, FailureOf(r, settingName));
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Writing the answer of request {Puid} failed", encoded.Puid);
            var reason = $"unusable answer: it could not be written: {ex.GetType().Name}: {ex.Message}";
            return [.. encoded.Members.Select(m => codec.ErrorRecord(m, new RequestFailure(LineFailureKind.UnusableAnswer, 502, reason)))];
        }
    }

    /// <summary>What the error records of a failed request's lines say: the kind of line failure the transport's failure
    /// is, and its detail worded with the front end's names for settings; null for an answer.</summary>
    internal static RequestFailure? FailureOf(PredictionResponse? response, Func<string, string>? settingName) =>
        response?.Failure is not { } failure ? null
        : new RequestFailure(
            failure.Kind == PredictionFailureKind.Line ? LineFailureKind.Refused
            : RequestDispatcher.IsTimeout(failure) ? LineFailureKind.TimedOut
            : LineFailureKind.RetriesExhausted,
            response.Code,
            settingName is null ? failure.Detail : failure.FormatDetail(settingName));
}
