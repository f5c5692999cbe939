using Microsoft.Extensions.Time.Testing;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>A fake clock for code that does one thing at a time (one request through the dispatcher, with a client that
/// answers at once): every wait on a timer ends at once, and the clock reads as if it had been waited out in full. So
/// delays, breaks and budgets follow the same times on every run, none of them waited for.</summary>
/// <remarks>Only right while nothing else can end a wait early: with two things going on, one's timer would move the
/// clock under the other. The clock moves off the caller's thread, after the timer is made, as time passes for a real
/// one.</remarks>
internal sealed class InstantClock : FakeTimeProvider
{
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        if (dueTime > TimeSpan.Zero && dueTime != Timeout.InfiniteTimeSpan)
        {
            ThreadPool.QueueUserWorkItem(_ => Advance(dueTime));
        }

        return timer;
    }
}
