namespace Seldon.Batch.Dataflow.Server;

/// <summary>What the server does to one request before the model sees it.</summary>
/// <param name="Drop">Abort the connection without an answer.</param>
/// <param name="Fail">Answer with the injected failure status.</param>
/// <param name="Delay">How long to wait before answering.</param>
internal readonly record struct FaultDecision(bool Drop, bool Fail, TimeSpan Delay);
