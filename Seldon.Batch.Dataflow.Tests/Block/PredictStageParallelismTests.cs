using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using System.Threading.Tasks.Dataflow;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Fixtures;

namespace Seldon.Batch.Dataflow.Tests.Block;

/// <summary>The file run's predict stage runs as many groups as the dispatcher can put to work
/// (<see cref="RequestDispatcher.Concurrency"/>): the gate's slots, and one more for each request in backoff. At steady
/// state no request waits at the gate; while a request waits for its retry, another group runs, so the workers stay busy;
/// and whatever the model answers, every line gets one result, in order.</summary>
public sealed partial class PredictStageParallelismTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(16)]
    public async Task At_steady_state_no_request_waits_at_the_gate_and_no_more_than_the_workers_are_on_the_wire(int workers)
    {
        var model = new Model(async (line, _) =>
        {
            await Task.Yield();
            return Answer(line);
        });

        var (results, dispatcher) = await RunAsync(model, workers, lines: 300);

        Assert.Equal(Enumerable.Range(0, 300).Select(i => (long)i), results.Select(r => r.Index));
        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.Equal(0, dispatcher.GateWaits);
        Assert.InRange(model.MostOnWire, 1, workers);
        Assert.Equal(workers, dispatcher.Concurrency);
    }

    [Fact]
    public async Task While_a_request_waits_for_its_retry_another_group_runs_so_the_workers_stay_busy()
    {
        // Line 0 fails (a 500, retried) until released; every other line is held on the wire until then. With two
        // workers, lines 1 and 2 can both be on the wire only if a third group was started for line 0's backoff.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var twoHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var held = 0;
        var model = new Model(async (line, _) =>
        {
            if (line == 0)
            {
                return release.Task.IsCompleted ? Answer(line) : PredictionResponse.Failed(PredictionFailureKind.Transient, 500, "HTTP 500: try again");
            }

            if (Interlocked.Increment(ref held) == 2)
            {
                twoHeld.TrySetResult();
            }

            await release.Task;
            return Answer(line);
        });

        var run = RunAsync(model, workers: 2, lines: 10, attempts: 100);
        await twoHeld.Task.WaitAsync(Patience);
        release.SetResult();
        var (results, dispatcher) = await run;

        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), results.Select(r => r.Index));
        Assert.All(results, r => Assert.True(r.Succeeded));
        Assert.InRange(model.MostOnWire, 1, 2);
        Assert.Equal(2, dispatcher.Concurrency); // the backoff ended with the request
    }

    /// <summary>Outcomes a line's attempts take from its script: a prediction, a refused line, a transient failure, an
    /// outage (the breaker's).</summary>
    private static readonly PredictionResponse[] Failures =
    [
        PredictionResponse.Failed(PredictionFailureKind.Line, 400, "HTTP 400: the line is refused"),
        PredictionResponse.Failed(PredictionFailureKind.Transient, 500, "HTTP 500: try again"),
        PredictionResponse.Unanswered(PredictionFailureKind.Outage, 503, "HTTP 503: unavailable"),
    ];

    [Property(MaxTest = 40)]
    public Property Whatever_the_model_answers_every_line_gets_one_result_in_order_and_the_wire_holds_no_more_than_the_workers() =>
        Prop.ForAll(
            Gen.Choose(1, 4).ToArbitrary(),
            (from count in Gen.Choose(1, 40)
             from scripts in Gen.ArrayOf(from n in Gen.Choose(0, 3) from s in Gen.ArrayOf(Gen.Choose(-1, Failures.Length - 1), n) select s, count)
             select scripts).ToArbitrary(),
            Gen.Elements(true, false).ToArbitrary(),
            (int workers, int[][] scripts, bool yields) =>
            {
                var model = new Model(async (line, attempt) =>
                {
                    if (yields && (line + attempt) % 2 == 0)
                    {
                        await Task.Yield();
                    }

                    var script = scripts[line];
                    return attempt < script.Length && script[attempt] >= 0 ? Failures[script[attempt]] : Answer(line);
                });
                var lines = scripts.Length;
                var (results, _) = RunAsync(model, workers, lines, attempts: 2, new InstantClock()).WaitAsync(Patience).GetAwaiter().GetResult();

                var inOrder = results.Select(r => r.Index).SequenceEqual(Enumerable.Range(0, lines).Select(i => (long)i));
                var firstAnswered = results.All(r =>
                {
                    var first = scripts[r.Index].Length > 0 ? scripts[r.Index][0] : -1;
                    return first == -1 ? r.Succeeded : first != 0 || !r.Succeeded;
                });
                return (inOrder && firstAnswered && model.MostOnWire <= workers)
                    .Label($"results {string.Join(",", results.Select(r => $"{r.Index}:{r.Succeeded}"))}, most on the wire {model.MostOnWire}");
            });

    /// <summary>Lines <c>[[i]]</c> through the file run's predict stage (batch size 1) against <paramref name="model"/>;
    /// the results in the order they came out, and the stage's dispatcher.</summary>
    private static async Task<(List<InstanceResult> Results, RequestDispatcher Dispatcher)> RunAsync(
        Model model, int workers, int lines, int attempts = 3, TimeProvider? clock = null)
    {
        var options = new PredictionBlockOptions
        {
            Workers = workers,
            MaxAttempts = attempts,
            MaxOutage = TimeSpan.FromDays(1),
            WaitReady = TimeSpan.FromDays(1),
            BatchId = "parallelism",
            TimeProvider = clock ?? TimeProvider.System,
        };
        var stop = new StopPolicy(FailureLimit.None, host: null, CancellationToken.None);
        var (block, dispatcher) = PredictStage.BuildInline(options, model, new RunStatistics(), stop);
        var results = new List<InstanceResult>();
        var answered = true;
        var collect = new ActionBlock<PredictedGroup>(group =>
        {
            answered &= group.Answered;
            results.AddRange(group.Results);
        });
        block.LinkTo(collect, new DataflowLinkOptions { PropagateCompletion = true });
        for (var i = 0; i < lines; i++)
        {
            Assert.True(await block.SendAsync([new InputLine(i, $"[[{i}]]")]));
        }

        block.Complete();
        await collect.Completion.WaitAsync(Patience);
        Assert.True(answered);
        return (results, dispatcher);
    }

    private static PredictionResponse Answer(long line) => PredictionResponse.Success($"{{\"data\":{{\"names\":[],\"ndarray\":[[{line}]]}}}}", 200);

    [GeneratedRegex(@"\[\[(\d+)\]\]")]
    private static partial Regex LineValue();

    /// <summary>A model that answers each attempt at a line (its value, and how many attempts came before) as the test
    /// says, and counts the requests on the wire.</summary>
    private sealed class Model(Func<long, int, Task<PredictionResponse>> answer) : IPredictionClient
    {
        private readonly ConcurrentDictionary<long, int> _attempts = new();
        private int _onWire;
        private int _mostOnWire;

        public InferenceProtocol Protocol => InferenceProtocol.Seldon;

        public int MostOnWire => Volatile.Read(ref _mostOnWire);

        public async Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
        {
            var line = long.Parse(LineValue().Match(request.Body).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
            var attempt = _attempts.AddOrUpdate(line, 0, (_, n) => n + 1);
            var onWire = Interlocked.Increment(ref _onWire);
            for (var most = Volatile.Read(ref _mostOnWire); onWire > most; most = Volatile.Read(ref _mostOnWire))
            {
                Interlocked.CompareExchange(ref _mostOnWire, onWire, most);
            }

            try
            {
                return await answer(line, attempt);
            }
            finally
            {
                Interlocked.Decrement(ref _onWire);
            }
        }

        public void Dispose()
        {
        }
    }
}
