namespace Seldon.Batch.Dataflow;

/// <summary>Why a request brought its lines no answer, as their error records will say it: what the block hands the codec
/// (the protocol does not know about transports, so the block judges the transport's failure).</summary>
/// <param name="Kind">What the lines' failures are about.</param>
/// <param name="Code">The HTTP status or gRPC status code; 0 when no answer arrived.</param>
/// <param name="Reason">The reason the error records hold.</param>
internal readonly record struct RequestFailure(LineFailureKind Kind, int Code, string Reason);
