namespace Seldon.Batch.Dataflow;

/// <summary>What <see cref="RequestDispatcher.SendAsync"/> gives back: the request's final answer, and how long its last
/// attempt was on the wire (waits for a slot, a retry or the breaker excluded), beside it rather than in a copy of the
/// answer per request.</summary>
/// <param name="Response">The answer.</param>
/// <param name="Latency">The last attempt's time on the wire; zero when the request gave up waiting for an outage.</param>
internal readonly record struct Dispatched(PredictionResponse Response, TimeSpan Latency);
