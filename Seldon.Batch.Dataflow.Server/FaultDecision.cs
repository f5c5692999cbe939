namespace Seldon.Batch.Dataflow.Server;

/// <summary>What the server does to one request before the model sees it.</summary>
/// <param name="Drop">Abort the connection without an answer.</param>
/// <param name="Fail">Answer with the injected failure status.</param>
/// <param name="Delay">How long to wait before answering.</param>
/// <param name="GatewayDown">Answer as a gateway whose upstream is down: HTTP 503 <c>no healthy upstream</c> (gRPC
/// Unavailable), during an outage window of <see cref="ServeOptions.OutageMode"/> <see cref="ServerOutageMode.Unavailable"/>.</param>
internal readonly record struct FaultDecision(bool Drop, bool Fail, TimeSpan Delay, bool GatewayDown = false);
