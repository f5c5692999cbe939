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

    [Property(MaxTest = 60)]
    public Property The_first_send_outside_the_retry_pipeline_answers_as_the_pipeline_does() =>
        Prop.ForAll(
            Gen.ListOf(Gen.Choose(0, Answers.Length - 1), 8).Select(l => l.ToArray()).ToArbitrary(),
            // --retries 0 to 2 (1 to 3 attempts), and 2 to 4 requests one after the other through one dispatcher.
            Gen.Choose(0, 8).Select(n => (Attempts: 1 + (n % 3), Requests: 2 + (n / 3))).ToArbitrary(),
            Gen.Elements((false, false), (true, false), (false, true), (true, true)).ToArbitrary(),
            (int[] script, (int Attempts, int Requests) sizes, (bool ReachedBefore, bool Paced) setting) =>
            {
                var ((attempts, requests), (reachedBefore, paced)) = (sizes, setting);
                var direct = Run(script, attempts, reachedBefore, paced, requests, firstOutside: true);
                var piped = Run(script, attempts, reachedBefore, paced, requests, firstOutside: false);
                return (direct.Responses.SequenceEqual(piped.Responses) && direct.Sends == piped.Sends)
                    .Label($"direct {Describe(direct)}, pipeline {Describe(piped)}");
            });

    /// <summary>A script whose first request is answered and whose second is refused as a misconfiguration: only an
    /// answer the first request's send told the breaker makes the second one retried (the model was reached), so a send
    /// that does not tell it (the direct way without <c>Observe</c>) answers differently from the pipeline.</summary>
    [Fact]
    public void A_later_request_sees_what_an_earlier_one_told_the_breaker()
    {
        int[] script = [0, 3, 0];
        var direct = Run(script, 2, reachedBefore: false, paced: false, requests: 2, firstOutside: true);
        var piped = Run(script, 2, reachedBefore: false, paced: false, requests: 2, firstOutside: false);

        Assert.Equal(piped.Responses, direct.Responses);
        Assert.Equal(piped.Sends, direct.Sends);
        Assert.Equal(3, direct.Sends); // the 404 after an answer is transient: sent again
    }

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

    /// <summary><paramref name="requests"/> requests, one after the other, through a fresh dispatcher whose client answers
    /// by <paramref name="script"/> (a success once the script is used up): what one request tells the breaker (an answer
    /// reached the model, an outage) is what the next one's retries are decided by. Before them,
    /// <paramref name="reachedBefore"/> lets an earlier request reach the model. The dispatcher's waits (outage backoff,
    /// the breaker's breaks) pass on an instant clock: both paths see the same times. <paramref name="paced"/> gives it a
    /// rate (too high to wait for), which takes the first send off the direct way.</summary>
    private static (List<PredictionResponse> Responses, int Sends) Run(int[] script, int attempts, bool reachedBefore, bool paced, int requests, bool firstOutside)
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

        var responses = new List<PredictionResponse>();
        for (var i = 0; i < requests; i++)
        {
            var request = new PredictionRequest(PredictionMethod.Predict, "{}", $"p{i}");
            var sent = firstOutside
                ? dispatcher.SendAsync(request, i, CancellationToken.None, CancellationToken.None).AsTask()
                : dispatcher.SendThroughRetryAsync(request, i, CancellationToken.None, CancellationToken.None);
            responses.Add(sent.WaitAsync(TimeSpan.FromMinutes(1)).GetAwaiter().GetResult().Response);
        }

        return (responses, client.Sends);
    }

    private static string Describe((List<PredictionResponse> Responses, int Sends) run) =>
        $"{run.Sends} sends: {string.Join(" | ", run.Responses.Select(r => $"{r.Code} {r.Failure?.Kind} {r.Retries}"))}";

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
