using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>Isolate, after a micro-batch the model refused or never answered in time: each of its lines is sent alone,
/// so only the lines it refuses (or that are too slow alone) fail, each with its own reason, and their neighbours are
/// not punished for them. At most <c>BatchSize</c> requests, in parallel, bounded by the workers like any other.</summary>
internal sealed class IsolateStage(EncodeStage encode, SendStage send, ILogger logger)
{
    private static readonly Task<PredictionResponse?> NoRequest = Task.FromResult<PredictionResponse?>(null);

    /// <summary>Whether the lines of <paramref name="encoded"/> are sent again one by one after
    /// <paramref name="failure"/>: the model refused them, or a timeout ended every attempt, and there are two or more.</summary>
    public static bool Applies(EncodedBatch encoded, PredictionFailure? failure) =>
        failure is not null
        && (failure.Kind == PredictionFailureKind.Line || RequestDispatcher.IsTimeout(failure))
        && encoded.Members.Count(m => m.IsSent) >= 2;

    /// <summary>The requests of <paramref name="lines"/> sent one by one, with their answers, in line order; not answered
    /// when one of them was not.</summary>
    /// <param name="lines">The lines of the micro-batch.</param>
    /// <param name="encoded">Their request, which failed.</param>
    /// <param name="failure">How it failed.</param>
    public async Task<PredictedBatch> SendLineByLineAsync(InputLine[] lines, EncodedBatch encoded, PredictionFailure failure)
    {
        // A line of a timed-out micro-batch gets one attempt: its retries were spent on the micro-batch, so a slow line
        // costs one Timeout more, not MaxAttempts more.
        var refused = failure.Kind == PredictionFailureKind.Line;
        logger.LogDebug(
            "Request {Puid} {Outcome} ({Reason}): sending its {Count} lines one by one",
            encoded.Puid, refused ? "refused" : "timed out", failure.Detail, lines.Length);
        var singles = lines.SelectMany(line => encode.Encode([line])).ToArray();
        var answers = await Task.WhenAll(singles.Select(s => s.HasRequest ? send.SendAsync(s, retryTimeouts: refused).AsTask() : NoRequest)).ConfigureAwait(false);
        var parts = new (EncodedBatch Batch, PredictionResponse? Response)[singles.Length];
        for (var i = 0; i < singles.Length; i++)
        {
            if (singles[i].HasRequest && answers[i] is null)
            {
                return PredictedBatch.NotAnswered;
            }

            parts[i] = (singles[i], answers[i]);
        }

        return new PredictedBatch(parts);
    }
}
