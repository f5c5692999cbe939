using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>One run's exclusive hold on an output (or a shard's part) for the run's whole life: taken before anything
/// next to the output is read or changed, released once the output is published or the run ended otherwise. A local
/// output is held by an OS lock on <c>&lt;output&gt;.lock</c> (<see cref="LocalOutputLock"/>), which the kernel releases
/// when the process dies; an object by a lease <c>&lt;output&gt;.lease.json</c> the run renews (<see cref="OutputLease"/>).
/// A second run is refused with <see cref="OutputInUseException"/>, naming the holder.</summary>
internal abstract class OutputLock : IAsyncDisposable
{
    protected OutputLock(StorageLocation output) => Output = output;

    /// <summary>The output (or part) held.</summary>
    public StorageLocation Output { get; }

    /// <summary>Cancelled when the hold was lost (a lease another run took over, or could not renew in time): the run
    /// must stop and must not publish. A lock is never lost while its process lives.</summary>
    public virtual CancellationToken Lost => CancellationToken.None;

    /// <summary>Why the hold was lost; null while it is held.</summary>
    public virtual string? LostReason => null;

    /// <summary>Takes <paramref name="output"/> for this process, or throws <see cref="OutputInUseException"/> naming the
    /// run that holds it. Nothing else next to the output is read or changed.</summary>
    /// <param name="output">The output, or a shard's part.</param>
    /// <param name="store">The store of an object output.</param>
    /// <param name="batchId">The run's <c>batch_id</c> when it is known already (shown to a refused run); null or empty otherwise.</param>
    /// <param name="time">The run's clock: a lease's expiry and renewals count on it.</param>
    /// <param name="logger">Told of a lease taken over, of renewals that failed, and of a file system without locks.</param>
    /// <param name="ct">Cancels the attempt.</param>
    /// <param name="makeFolder">Whether a local output's folder is made when missing (a shard's parts folder, which
    /// the first shard to start makes); otherwise a missing folder is a settings problem.</param>
    public static async Task<OutputLock> AcquireAsync(
        StorageLocation output, ObjectStore store, string? batchId, TimeProvider time, ILogger logger, CancellationToken ct, bool makeFolder = false)
    {
        var me = LockHolder.ThisProcess(batchId, time);
        return output.IsObject
            ? await OutputLease.AcquireAsync(output, store, me, time, logger, ct).ConfigureAwait(false)
            : await LocalOutputLock.AcquireAsync(output, me, makeFolder, logger, ct).ConfigureAwait(false);
    }

    /// <summary>Makes sure the hold lasts long enough to publish: a lease is renewed now. Returns why the output is no
    /// longer this run's (it must not publish then), or null.</summary>
    public virtual Task<string?> ConfirmAsync(CancellationToken ct) => Task.FromResult<string?>(null);

    /// <summary>Throws when the hold is lost or may be (a lease past its expiry on this run's clock): writing on would
    /// mix this run's bytes with another's.</summary>
    public virtual void ThrowIfLost()
    {
    }

    /// <summary>Releases the hold.</summary>
    public abstract ValueTask DisposeAsync();
}
