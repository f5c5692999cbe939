namespace Seldon.Batch.Dataflow;

/// <summary>Why a request brought its lines no answer, as their error records will say it: what the block hands the codec
/// (the protocol does not know about transports, so the block judges the transport's failure).</summary>
/// <param name="Kind">What the lines' failures are about.</param>
/// <param name="Code">The HTTP status or gRPC status code; 0 when no answer arrived.</param>
/// <param name="Reason">The reason the error records hold.</param>
internal readonly record struct RequestFailure(LineFailureKind Kind, int Code, string Reason)
{
    /// <summary>The code of a line that was never sent, in both protocols' error records (a request it could be in would
    /// have been a bad one).</summary>
    public const int UnsentCode = 400;

    /// <summary>The failure of the lines of a request that was never sent (none is: a request without a body has no line
    /// to send).</summary>
    public static readonly RequestFailure NotSent = new(LineFailureKind.NotSent, UnsentCode, "the request was not sent");
}
