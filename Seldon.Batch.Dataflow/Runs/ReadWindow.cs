namespace Seldon.Batch.Dataflow;

/// <summary>Bounds the lines a file run has read but not yet handed to its writer, with a gap between stopping and
/// starting again: once <see cref="Limit"/> lines are out, the reader waits until the writer has taken enough of them
/// that no more than <see cref="Resume"/> are left, then reads that many again in one go.</summary>
/// <remarks>The network's bounded blocks would hold the reader back too, but one line at a time: each group the predict
/// stage takes frees one place, and every place freed woke the reader for one line (a postponed <c>SendAsync</c> completes
/// on a task of its own, and the batch stage consumes a postponed line on another), two or three thread-pool hand-overs
/// per line at batch size 1. Kept under its window, the network never postpones the reader, which wakes once per
/// <see cref="Limit"/> − <see cref="Resume"/> lines instead. The reader calls <see cref="WaitForRoomAsync"/> and
/// <see cref="Sent"/>, the writer <see cref="Written"/>, each from one thread at a time.</remarks>
internal sealed class ReadWindow
{
    private readonly Lock _lock = new();
    private long _sent;
    private long _written;
    private TaskCompletionSource? _room;

    /// <param name="limit">The most lines out at once (at least 1).</param>
    /// <param name="resume">Lines out at most before the reader goes on, below <paramref name="limit"/>.</param>
    public ReadWindow(int limit, int resume)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(resume);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(resume, limit);
        Limit = limit;
        Resume = resume;
    }

    /// <summary>The most lines read and not yet written at once.</summary>
    public int Limit { get; }

    /// <summary>The lines out at most when the reader goes on after waiting.</summary>
    public int Resume { get; }

    /// <summary>A window for the file run's network made of <paramref name="options"/>: as many lines as its predict
    /// stage holds (<see cref="PredictionBlock.LinesInFlight"/>), read again a quarter of them (a micro-batch at least)
    /// at a time.</summary>
    public static ReadWindow For(PredictionBlockOptions options)
    {
        var limit = PredictionBlock.LinesInFlight(options);
        return new ReadWindow(limit, Math.Max(0, limit - Math.Max(options.BatchSize, limit / 4)));
    }

    /// <summary>Returns at once while the window has room; otherwise waits until the writer brought the lines out down
    /// to <see cref="Resume"/>.</summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled while waiting.</exception>
    public ValueTask WaitForRoomAsync(CancellationToken cancellationToken) =>
        _sent - Volatile.Read(ref _written) < Limit ? ValueTask.CompletedTask : new ValueTask(WaitAsync(cancellationToken));

    /// <summary>Counts a line handed to the network.</summary>
    public void Sent() => Volatile.Write(ref _sent, _sent + 1);

    /// <summary>Counts <paramref name="lines"/> lines the writer took (written or not: a group past a stop is dropped).</summary>
    public void Written(int lines)
    {
        TaskCompletionSource? room = null;
        lock (_lock)
        {
            _written += lines;
            if (_room is not null && Volatile.Read(ref _sent) - _written <= Resume)
            {
                (room, _room) = (_room, null);
            }
        }

        // The reader goes on on a pool thread of its own, not on the writer's, which has the next group to write.
        room?.TrySetResult();
    }

    private async Task WaitAsync(CancellationToken cancellationToken)
    {
        TaskCompletionSource room;
        lock (_lock)
        {
            if (_sent - _written <= Resume)
            {
                return;
            }

            room = _room = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        await using (cancellationToken.UnsafeRegister(static r => ((TaskCompletionSource)r!).TrySetCanceled(), room).ConfigureAwait(false))
        {
            await room.Task.ConfigureAwait(false);
        }
    }
}
