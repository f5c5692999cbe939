using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.Logging.Abstractions;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Dispatch;

/// <summary>The dispatcher sends a request's first attempt before Polly's retry pipeline and enters the pipeline only
/// with a failure: for any sequence of answers, what comes back (answer, failure, retries) and how many times the
/// request went out must be what the pipeline alone gives. Both shortcuts are held to it: the direct send (nothing
/// paces or observes the request, the circuit on its closed path) and the first attempt (a paced request).</summary>
public sealed class RequestDispatcherFirstSendTests
{
    private static readonly PredictionResponse[] Answers =
    [
        PredictionResponse.Success("{\"data\":{\"ndarray\":[[1]]}}", 200),
        PredictionResponse.Failed(PredictionFailureKind.Line, 400, "HTTP 400: the line is refused"),
        PredictionResponse.Failed(PredictionFailureKind.Transient, 500, "HTTP 500: try again"),
        PredictionResponse.Failed(PredictionFailureKind.Misconfiguration, 404, "HTTP 404: no such deployment"),
        PredictionResponse.Unanswered(PredictionFailureKind.Outage, 503, "HTTP 503: unavailable"),
    ];

    [Property(MaxTest = 40)]
    public Property The_first_send_outside_the_retry_pipeline_answers_as_the_pipeline_does() =>
        Prop.ForAll(
            Gen.ListOf(Gen.Choose(0, Answers.Length - 1), 4).Select(l => l.ToArray()).ToArbitrary(),
            Gen.Choose(1, 3).ToArbitrary(),
            Gen.Elements((false, false), (true, false), (false, true), (true, true)).ToArbitrary(),
            (int[] script, int attempts, (bool ReachedBefore, bool Paced) setting) =>
            {
                var (reachedBefore, paced) = setting;
                var direct = Run(script, attempts, reachedBefore, paced, firstOutside: true);
                var piped = Run(script, attempts, reachedBefore, paced, firstOutside: false);
                return (direct.Response == piped.Response && direct.Sends == piped.Sends)
                    .Label($"direct {direct}, pipeline {piped}");
            });

    [Fact]
    public async Task A_success_is_sent_once_and_returned_as_it_is()
    {
        var client = new ScriptedClient([0]);
        using var dispatcher = new RequestDispatcher(client, new RetrySettings { Workers = 2, BaseDelay = TimeSpan.Zero }, NullLogger.Instance);

        var (response, latency) = await dispatcher.SendAsync(new PredictionRequest(PredictionMethod.Predict, "{}", "p"), 0, CancellationToken.None, CancellationToken.None);

        Assert.Same(Answers[0], response); // not a copy
        Assert.True(latency >= TimeSpan.Zero);
        Assert.Equal(1, client.Sends);
    }

    /// <summary>One request through a fresh dispatcher whose client answers by <paramref name="script"/> (a success once
    /// the script is used up); before it, <paramref name="reachedBefore"/> lets an earlier request reach the model. The
    /// dispatcher's waits (outage backoff, the breaker's breaks) pass on an instant clock: both paths see the same times.
    /// <paramref name="paced"/> gives it a rate (too high to wait for), which takes the first send off the direct way.</summary>
    private static (PredictionResponse Response, int Sends) Run(int[] script, int attempts, bool reachedBefore, bool paced, bool firstOutside)
    {
        var client = new ScriptedClient(script);
        using var dispatcher = new RequestDispatcher(
            client,
            new RetrySettings
            {
                Attempts = attempts,
                Workers = 2,
                BaseDelay = TimeSpan.Zero,
                MaxDelay = TimeSpan.Zero,
                MaxRate = paced ? RequestRate.RequestsPerSecond(1e9) : null,
            },
            NullLogger.Instance,
            new InstantClock());
        if (reachedBefore)
        {
            dispatcher.Breaker.Observe(Answers[0]);
        }

        var request = new PredictionRequest(PredictionMethod.Predict, "{}", "p");
        var sent = firstOutside
            ? dispatcher.SendAsync(request, 0, CancellationToken.None, CancellationToken.None).AsTask()
            : dispatcher.SendThroughRetryAsync(request, 0, CancellationToken.None, CancellationToken.None);
        var (response, _) = sent
            .WaitAsync(TimeSpan.FromMinutes(1)).GetAwaiter().GetResult();
        return (response, client.Sends);
    }

    private sealed class ScriptedClient(int[] script) : IPredictionClient
    {
        public InferenceProtocol Protocol => InferenceProtocol.Seldon;

        private int _sends;

        public int Sends => Volatile.Read(ref _sends);

        public Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
        {
            var n = Interlocked.Increment(ref _sends) - 1;
            return Task.FromResult(n < script.Length ? Answers[script[n]] : Answers[0]);
        }

        public void Dispose()
        {
        }
    }
}
