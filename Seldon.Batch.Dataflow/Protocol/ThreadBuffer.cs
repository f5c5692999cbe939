namespace Seldon.Batch.Dataflow;

/// <summary>One <typeparamref name="T"/> per thread, reused: the hot paths write their JSON into a buffer that lives as
/// long as the thread instead of a fresh one per message (fresh buffers made the garbage collector a large share of a
/// run's time). A user takes it, writes, and is done with it before it returns (nothing it calls takes the same kind),
/// so one per thread is enough.</summary>
internal static class ThreadBuffer<T>
    where T : class, IThreadBuffer<T>
{
    // A buffer grown by one huge message is let go rather than kept for the rest of the run.
    private const int MaxRetainedBytes = 1 << 20;

    [ThreadStatic]
    private static T? t_kept;

    /// <summary>This thread's <typeparamref name="T"/>, emptied; a new one in place of one that grew past 1 MiB.</summary>
    public static T Take()
    {
        var kept = t_kept;
        if (kept is null || kept.Capacity > MaxRetainedBytes)
        {
            return t_kept = T.Create();
        }

        kept.Clear();
        return kept;
    }

    /// <summary>Says the use of <paramref name="taken"/> is over: when it grew past 1 MiB it is let go now rather than
    /// at the next <see cref="Take"/>, which a thread may never call again.</summary>
    public static void Finished(T taken)
    {
        if (taken.Capacity > MaxRetainedBytes && ReferenceEquals(t_kept, taken))
        {
            t_kept = null;
        }
    }
}
