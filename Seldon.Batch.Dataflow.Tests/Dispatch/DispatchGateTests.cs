using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Dispatch;

public sealed class DispatchGateTests
{
    [Fact]
    public async Task A_freed_slot_goes_to_the_earliest_line_waiting_not_the_first_to_wait()
    {
        var gate = new DispatchGate(1);
        var held = await gate.EnterAsync(0, CancellationToken.None);
        var late = gate.EnterAsync(500, CancellationToken.None).AsTask();
        var retried = gate.EnterAsync(3, CancellationToken.None).AsTask();

        held.Dispose();
        var first = await Task.WhenAny(late, retried);

        Assert.Same(retried, first);
        Assert.False(late.IsCompleted);
        (await retried).Dispose();
        (await late).Dispose();
    }

    [Fact]
    public async Task A_cancelled_waiter_never_takes_a_slot()
    {
        var gate = new DispatchGate(1);
        var held = await gate.EnterAsync(0, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var cancelled = gate.EnterAsync(1, cancel.Token).AsTask();
        var next = gate.EnterAsync(2, CancellationToken.None).AsTask();

        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        held.Dispose();

        (await next).Dispose();
        // The slot came back: one more can enter at once.
        var third = gate.EnterAsync(3, CancellationToken.None).AsTask();
        Assert.True(third.IsCompletedSuccessfully);
        (await third).Dispose();
    }

    [Fact]
    public async Task No_more_than_the_slots_are_held_at_once()
    {
        var gate = new DispatchGate(3);
        var inside = 0;
        var most = 0;
        await Task.WhenAll(Enumerable.Range(0, 50).Select(async i =>
        {
            using var slot = await gate.EnterAsync(i, CancellationToken.None);
            var now = Interlocked.Increment(ref inside);
            InterlockedMax(ref most, now);
            await Task.Yield();
            Interlocked.Decrement(ref inside);
        }));

        Assert.InRange(most, 1, 3);
    }

    [Fact]
    public async Task A_freed_slot_is_handed_over_before_the_release_returns()
    {
        var gate = new DispatchGate(1);
        var held = await gate.EnterAsync(0, CancellationToken.None);
        var waiting = gate.EnterAsync(1, CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);

        // On a pool thread, as a request's completion runs (xunit's own synchronization context would make any
        // continuation asynchronous): the waiter's request goes on the wire from the thread that gave the slot back,
        // without a hop through the pool.
        var handedAtOnce = await Task.Run(() =>
        {
            held.Dispose();
            return waiting.IsCompletedSuccessfully;
        });

        Assert.True(handedAtOnce);
        (await waiting).Dispose();
    }

    [Fact]
    public async Task A_raised_limit_lets_the_earliest_waiters_in_at_once()
    {
        var gate = new DispatchGate(1);
        var held = await gate.EnterAsync(0, CancellationToken.None);
        var late = gate.EnterAsync(9, CancellationToken.None).AsTask();
        var early = gate.EnterAsync(2, CancellationToken.None).AsTask();
        var middle = gate.EnterAsync(5, CancellationToken.None).AsTask();

        gate.SetLimit(3);

        await Task.WhenAll(early, middle);
        Assert.False(late.IsCompleted);
        Assert.Equal(3, gate.InUse);
        held.Dispose();
        (await late).Dispose();
        (await early).Dispose();
        (await middle).Dispose();
        Assert.Equal(0, gate.InUse);
    }

    [Fact]
    public async Task A_lowered_limit_takes_effect_as_slots_come_back()
    {
        var gate = new DispatchGate(3);
        var held = new[] { await gate.EnterAsync(0, CancellationToken.None), await gate.EnterAsync(1, CancellationToken.None), await gate.EnterAsync(2, CancellationToken.None) };
        gate.SetLimit(1);
        var waiting = gate.EnterAsync(3, CancellationToken.None).AsTask();

        held[0].Dispose();
        held[1].Dispose();
        Assert.False(waiting.IsCompleted); // two slots vanished as they came back: the one left is still taken
        held[2].Dispose();
        (await waiting).Dispose();

        var next = gate.EnterAsync(4, CancellationToken.None).AsTask();
        Assert.True(next.IsCompletedSuccessfully); // a free slot is taken without waiting
        var over = gate.EnterAsync(5, CancellationToken.None).AsTask();
        Assert.False(over.IsCompleted);
        (await next).Dispose();
        (await over).Dispose();
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
        {
            if (Interlocked.CompareExchange(ref target, value, current) == current)
            {
                return;
            }
        }
    }
}
