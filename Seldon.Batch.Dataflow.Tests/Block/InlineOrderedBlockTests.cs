using System.Collections.Concurrent;
using System.Threading.Channels;
using System.Threading.Tasks.Dataflow;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Block;

/// <summary>The file run's predict stage without hand-overs (<see cref="InlineOrderedBlock{TInput, TOutput}"/>) keeps a
/// Dataflow block's contract: results in input order whatever order the work completes in, at most the parallelism
/// running and the capacity held, completion after the last result, a fault and a cancellation propagated, the results
/// produced before a cancellation still delivered in order.</summary>
public sealed class InlineOrderedBlockTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    /// <summary>Work the test completes by hand: each input's task, and how many run at once.</summary>
    private sealed class HeldWork
    {
        private readonly ConcurrentDictionary<int, TaskCompletionSource<int>> _tasks = new();
        private readonly Channel<int> _started = Channel.CreateUnbounded<int>();
        private int _running;
        private int _mostRunning;

        public int MostRunning => Volatile.Read(ref _mostRunning);

        public int Started => _tasks.Count;

        public Task<int> RunAsync(int input)
        {
            var running = Interlocked.Increment(ref _running);
            InterlockedMax(ref _mostRunning, running);
            var task = Of(input);
            _started.Writer.TryWrite(input);
            return task.Task;
        }

        /// <summary>Waits until <paramref name="count"/> more inputs have started; returns them.</summary>
        public async Task<List<int>> StartedAsync(int count)
        {
            var started = new List<int>();
            while (started.Count < count)
            {
                started.Add(await _started.Reader.ReadAsync().AsTask().WaitAsync(Patience));
            }

            return started;
        }

        /// <summary>Completes the input's work with its result (ten times the input) on a pool thread of its own, as an
        /// answer arrives on the socket engine's.</summary>
        public Task CompleteAsync(int input) => Task.Run(() =>
        {
            Interlocked.Decrement(ref _running);
            Of(input).SetResult(input * 10);
        });

        public void Fail(int input, Exception exception)
        {
            Interlocked.Decrement(ref _running);
            Of(input).SetException(exception);
        }

        private TaskCompletionSource<int> Of(int input) =>
            _tasks.GetOrAdd(input, _ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));

        private static void InterlockedMax(ref int location, int value)
        {
            var current = Volatile.Read(ref location);
            while (value > current && Interlocked.CompareExchange(ref location, value, current) is var seen && seen != current)
            {
                current = seen;
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(42)]
    public async Task Results_come_out_in_input_order_whatever_order_the_work_completes_in(int seed)
    {
        const int Inputs = 500;
        var random = new Random(seed);
        // Each input's work completes after a random number of hops through the pool, some at once (on the offering
        // thread), so the answers arrive in any order, on any thread.
        var hops = Enumerable.Range(0, Inputs).Select(_ => random.Next(4)).ToArray();
        var (running, mostRunning) = (0, 0);
        async Task<int> RunAsync(int input)
        {
            var now = Interlocked.Increment(ref running);
            lock (hops)
            {
                mostRunning = Math.Max(mostRunning, now);
            }

            for (var hop = 0; hop < hops[input]; hop++)
            {
                await Task.Yield();
            }

            Interlocked.Decrement(ref running);
            return input * 10;
        }

        var block = new InlineOrderedBlock<int, int>(RunAsync, parallelism: 6, capacity: 16, CancellationToken.None);
        var results = new List<int>();
        // A bounded target postpones now and then: the block's consume path is exercised too.
        var target = new ActionBlock<int>(async r =>
        {
            results.Add(r);
            await Task.Yield();
        }, new ExecutionDataflowBlockOptions { BoundedCapacity = 1 });
        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
        var source = new BufferBlock<int>();
        source.LinkTo(block, new DataflowLinkOptions { PropagateCompletion = true });
        for (var i = 0; i < Inputs; i++)
        {
            source.Post(i);
        }

        source.Complete();

        await target.Completion.WaitAsync(Patience);
        await block.Completion;
        Assert.Equal(Enumerable.Range(0, Inputs).Select(i => i * 10), results);
        Assert.InRange(mostRunning, 1, 6);
    }

    [Fact]
    public async Task The_block_takes_no_more_than_its_capacity_and_runs_no_more_than_its_parallelism()
    {
        var work = new HeldWork();
        var block = new InlineOrderedBlock<int, int>(work.RunAsync, parallelism: 3, capacity: 8, CancellationToken.None);
        var results = new BufferBlock<int>();
        block.LinkTo(results, new DataflowLinkOptions { PropagateCompletion = true });
        var source = new BufferBlock<int>();
        source.LinkTo(block, new DataflowLinkOptions { PropagateCompletion = true });
        for (var i = 0; i < 50; i++)
        {
            source.Post(i);
        }

        source.Complete();
        Assert.Equal([0, 1, 2], await work.StartedAsync(3));
        // The head holds back the order: the others complete, their results wait in the window, and the block takes
        // inputs only while it has room.
        for (var i = 1; i < 8; i++)
        {
            await work.CompleteAsync(i);
            if (i < 6)
            {
                Assert.Equal([i + 2], await work.StartedAsync(1));
            }
        }

        Assert.Equal(8, work.Started);
        Assert.Equal(42, source.Count);
        Assert.Equal(0, results.Count);
        Assert.True(work.MostRunning <= 3, $"{work.MostRunning} ran at once");

        // The head answered: the window moves on, and everything comes out.
        await work.CompleteAsync(0);
        for (var i = 8; i < 50; i++)
        {
            await work.CompleteAsync((await work.StartedAsync(1))[0]);
        }

        await block.Completion.WaitAsync(Patience);
        Assert.True(results.TryReceiveAll(out var all));
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 10), all);
        Assert.True(work.MostRunning <= 3, $"{work.MostRunning} ran at once");
    }

    [Fact]
    public async Task A_parallelism_that_rises_starts_more_at_once_and_one_that_falls_starts_none_until_below_it()
    {
        var work = new HeldWork();
        var allowed = 2;
        var block = new InlineOrderedBlock<int, int>(
            work.RunAsync, parallelism: 4, capacity: 16, CancellationToken.None, parallelismNow: () => Volatile.Read(ref allowed));
        var results = new BufferBlock<int>();
        block.LinkTo(results, new DataflowLinkOptions { PropagateCompletion = true });
        for (var i = 0; i < 12; i++)
        {
            Assert.True(block.Post(i));
        }

        block.Complete();
        Assert.Equal([0, 1], await work.StartedAsync(2));
        Assert.Equal(2, work.Started);

        // Raised (to more than the most: clamped to it): two more start without any input finishing.
        Volatile.Write(ref allowed, 9);
        block.ParallelismChanged();
        Assert.Equal([2, 3], await work.StartedAsync(2));

        // Lowered to 1: none starts until fewer than one run.
        Volatile.Write(ref allowed, 1);
        block.ParallelismChanged();
        for (var i = 0; i < 3; i++)
        {
            await work.CompleteAsync(i);
        }

        Assert.Equal(4, work.Started);
        await work.CompleteAsync(3);
        for (var i = 4; i < 12; i++)
        {
            Assert.Equal([i], await work.StartedAsync(1));
            Assert.Equal(i + 1, work.Started);
            await work.CompleteAsync(i);
        }

        await block.Completion.WaitAsync(Patience);
        Assert.True(results.TryReceiveAll(out var all));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 10), all);
        Assert.True(work.MostRunning <= 4, $"{work.MostRunning} ran at once");
    }

    [Fact]
    public async Task The_block_completes_only_after_its_last_result_was_delivered()
    {
        var work = new HeldWork();
        var block = new InlineOrderedBlock<int, int>(work.RunAsync, parallelism: 2, capacity: 4, CancellationToken.None);
        var results = new ConcurrentQueue<int>();
        var seenAtCompletion = -1;
        var target = new InlineActionBlock<int>(r =>
        {
            results.Enqueue(r);
            return ValueTask.CompletedTask;
        });
        block.LinkTo(target, new DataflowLinkOptions { PropagateCompletion = true });
        var completion = block.Completion.ContinueWith(_ => seenAtCompletion = results.Count, TaskScheduler.Default);
        Assert.True(block.Post(0));
        Assert.True(block.Post(1));
        block.Complete();
        await work.StartedAsync(2);
        await work.CompleteAsync(1);
        Assert.False(block.Completion.IsCompleted);
        await work.CompleteAsync(0);

        await completion.WaitAsync(Patience);
        await target.Completion.WaitAsync(Patience);
        Assert.Equal(2, seenAtCompletion);
        Assert.Equal([0, 10], results);
        Assert.False(block.Post(2));
    }

    [Fact]
    public async Task Cancelling_mid_run_delivers_the_results_produced_before_the_first_one_missing()
    {
        using var cancel = new CancellationTokenSource();
        var work = new HeldWork();
        var block = new InlineOrderedBlock<int, int>(work.RunAsync, parallelism: 4, capacity: 8, cancel.Token);
        var results = new BufferBlock<int>();
        block.LinkTo(results, new DataflowLinkOptions { PropagateCompletion = true });
        for (var i = 0; i < 8; i++)
        {
            Assert.True(block.Post(i));
        }

        await work.StartedAsync(4);
        await work.CompleteAsync(0);
        await work.CompleteAsync(1);
        await work.CompleteAsync(3);
        await work.StartedAsync(3);
        await cancel.CancelAsync();
        // The inputs not started are dropped, new ones are refused; what runs finishes: 2 is dropped by the
        // cancellation, the others answered.
        Assert.False(block.Post(100));
        work.Fail(2, new OperationCanceledException(cancel.Token));
        await work.CompleteAsync(4);
        await work.CompleteAsync(5);
        await work.CompleteAsync(6);

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => block.Completion.WaitAsync(Patience));
        Assert.True(block.Completion.IsCanceled);
        Assert.True(results.TryReceiveAll(out var delivered));
        Assert.Equal([0, 10], delivered);
        await results.Completion.WaitAsync(Patience);
        Assert.Equal(7, work.Started);
    }

    [Fact]
    public async Task A_fault_of_the_work_faults_the_block_and_its_target()
    {
        var work = new HeldWork();
        var block = new InlineOrderedBlock<int, int>(work.RunAsync, parallelism: 2, capacity: 4, CancellationToken.None);
        var results = new BufferBlock<int>();
        block.LinkTo(results, new DataflowLinkOptions { PropagateCompletion = true });
        Assert.True(block.Post(0));
        Assert.True(block.Post(1));
        Assert.True(block.Post(2));
        await work.StartedAsync(2);
        await work.CompleteAsync(0);
        Assert.Equal([2], await work.StartedAsync(1));
        work.Fail(1, new InvalidDataException("broken"));
        // What runs finishes before the block completes.
        Assert.False(block.Completion.IsCompleted);
        await work.CompleteAsync(2);

        var fault = await Assert.ThrowsAsync<InvalidDataException>(() => block.Completion.WaitAsync(Patience));
        Assert.Equal("broken", fault.Message);
        await Assert.ThrowsAsync<InvalidDataException>(() => results.Completion.WaitAsync(Patience));
        Assert.Equal(3, work.Started);
        Assert.False(block.Post(3));
    }

    [Fact]
    public async Task The_inline_writer_runs_an_action_that_waits_in_order_and_faults_on_its_exception()
    {
        var written = new List<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var writer = new InlineActionBlock<int>(async value =>
        {
            if (value == 1)
            {
                await gate.Task;
            }

            if (value == 4)
            {
                throw new IOException("disk full");
            }

            written.Add(value);
        });

        Assert.True(writer.Post(0));
        Assert.True(writer.Post(1));
        Assert.True(writer.Post(2));
        Assert.True(writer.Post(3));
        Assert.Equal([0], written);
        gate.SetResult();
        Assert.True(writer.Post(4));
        await Assert.ThrowsAsync<IOException>(() => writer.Completion.WaitAsync(Patience));
        Assert.Equal([0, 1, 2, 3], written);
        Assert.False(writer.Post(5));
    }
}
