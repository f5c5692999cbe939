using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Microsoft.Extensions.Logging;

namespace Seldon.Batch.Dataflow;

/// <summary>An output object held by a lease, the object <c>&lt;output&gt;.lease.json</c>: created with a conditional
/// write (<c>If-None-Match: *</c>, so of two runs exactly one creates it), naming its holder, when it was last renewed
/// and when it expires, and renewed by the live run every few seconds (<c>If-Match</c> on its ETag, so a renewal never
/// overwrites another holder's lease). Deleted when the run ends.</summary>
/// <remarks>
/// <para>A run that finds the lease held watches it for one renewal period: a holder that renews it is alive, and the
/// run is refused (<see cref="OutputInUseException"/>). A holder that missed its renewal is presumed dead (killed,
/// its node lost): the run waits for its lease to expire and takes it over, conditional on that lease's ETag. So a pod
/// replaced after its predecessor was killed continues instead of failing, while a second run next to a live one is
/// refused within seconds.</para>
/// <para>A run that cannot renew its own lease in time gives it up <see cref="RenewalMargin"/> before it expires, stops
/// writing, and does not publish. Expiry is judged on the clocks of the runs involved: their difference must stay well
/// below <see cref="ClockSlack"/> (NTP keeps it to milliseconds).</para>
/// </remarks>
internal sealed class OutputLease : OutputLock
{
    /// <summary>How long a lease lasts from its last renewal: six renewals may fail before it runs out.</summary>
    public static readonly TimeSpan Duration = TimeSpan.FromSeconds(30);

    /// <summary>How often the live run renews its lease, and so how long a run refused next to it waits to see that.</summary>
    public static readonly TimeSpan RenewEvery = TimeSpan.FromSeconds(5);

    /// <summary>A lease is given up this long before it expires on the holder's clock when it could not be renewed,
    /// so that the holder stops writing before another run may take the lease over.</summary>
    public static readonly TimeSpan RenewalMargin = TimeSpan.FromSeconds(5);

    /// <summary>How late a renewal may be before its holder is presumed dead: network latency and clock differences.</summary>
    public static readonly TimeSpan ClockSlack = TimeSpan.FromSeconds(3);

    /// <summary>How often a run waiting on another's lease looks at it again.</summary>
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(1);

    private readonly ObjectStore _store;
    private readonly StorageLocation _lease;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _renewing = new(1, 1);
    private readonly CancellationTokenSource _lost = new();
    private readonly CancellationTokenSource _released = new();
    private LockHolder _holder;
    private string _etag;
    private string? _lostReason;
    private Task _renewals = Task.CompletedTask;

    private OutputLease(StorageLocation output, ObjectStore store, LockHolder holder, string etag, TimeProvider time, ILogger logger)
        : base(output)
    {
        _store = store;
        _lease = LeaseOf(output);
        _holder = holder;
        _etag = etag;
        _time = time;
        _logger = logger;
    }

    /// <summary>The lease object of the output object <paramref name="output"/>.</summary>
    public static StorageLocation LeaseOf(StorageLocation output) => output.Append(".lease.json");

    public override CancellationToken Lost => _lost.Token;

    public override string? LostReason => Volatile.Read(ref _lostReason);

    public static async Task<OutputLease> AcquireAsync(StorageLocation output, ObjectStore store, LockHolder me, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        var at = LeaseOf(output);
        LockHolder? seen = null;
        // A few rounds: the lease may be deleted, or change hands, between two looks at it.
        for (var round = 0; round < 5; round++)
        {
            if (await PutAsync(store, at, Renewal(me, time), ifMatch: null, ct).ConfigureAwait(false) is { } created)
            {
                return Started(new OutputLease(output, store, Renewal(me, time), created, time, logger));
            }

            if (await ReadAsync(store, at, ct).ConfigureAwait(false) is not { } current
                || await OutlastAsync(output, at, current, store, time, logger, ct).ConfigureAwait(false) is not { } expired)
            {
                // Deleted by its holder as it ended: try again to create it.
                continue;
            }

            seen = expired.Holder;
            var mine = Renewal(me, time);
            if (await PutAsync(store, at, mine, ifMatch: expired.ETag, ct).ConfigureAwait(false) is { } taken)
            {
                logger.LogWarning(
                    "Took over the lease {Lease} of {Holder}: {Why}",
                    at,
                    seen?.Describe() ?? "an unreadable holder",
                    seen is null ? "it could not be read"
                    : seen.IsPredecessorOfThisProcess ? "an earlier process of this pod with this process id (a restarted container)"
                    : $"it expired at {LockHolder.Format(seen.Expires!.Value)}");
                return Started(new OutputLease(output, store, mine, taken, time, logger));
            }
        }

        throw new OutputInUseException(output, seen, $"the lease {at} changed hands while this run tried to take it");
    }

    /// <summary><paramref name="me"/>'s lease renewed now.</summary>
    private static LockHolder Renewal(LockHolder me, TimeProvider time)
    {
        var now = time.GetUtcNow();
        return me with { Renewed = now, Expires = now + Duration, RenewEvery = RenewEvery };
    }

    /// <summary>Waits while the lease <paramref name="current"/> may be taken over once it expired: returns it then
    /// (null when it was deleted meanwhile); throws <see cref="OutputInUseException"/> as soon as its holder shows it is
    /// alive by renewing it (or another run took it).</summary>
    private static async Task<(LockHolder? Holder, string ETag)?> OutlastAsync(
        StorageLocation output, StorageLocation at, (LockHolder? Holder, string ETag) current, ObjectStore store, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        var holder = current.Holder;
        if (holder is null || holder.IsPredecessorOfThisProcess)
        {
            return current;
        }

        if (holder.Expires is not { } expires || expires > time.GetUtcNow() + 2 * Duration)
        {
            // Not a lease this program writes: nothing says when it would end.
            throw new OutputInUseException(output, holder);
        }

        // A live holder renews before this; one that does not is presumed dead, and its lease is waited out.
        var renewDue = (holder.Renewed ?? holder.Since) + (holder.RenewEvery ?? RenewEvery) + ClockSlack;
        var waitSaid = false;
        while (time.GetUtcNow() < expires)
        {
            if (!waitSaid && time.GetUtcNow() >= renewDue)
            {
                waitSaid = true;
                logger.LogWarning(
                    "The lease {Lease} of {Holder} was not renewed when due: waiting until it expires at {Expires} to take it over",
                    at, holder.Describe(), LockHolder.Format(expires));
            }

            await Task.Delay(Poll, time, ct).ConfigureAwait(false);
            if (await ReadAsync(store, at, ct).ConfigureAwait(false) is not { } now)
            {
                return null;
            }

            if (now.ETag != current.ETag)
            {
                throw new OutputInUseException(output, now.Holder ?? holder);
            }
        }

        return current;
    }

    private static OutputLease Started(OutputLease lease)
    {
        lease._renewals = lease.RenewEveryAsync();
        return lease;
    }

    private async Task RenewEveryAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(RenewEvery, _time, _released.Token).ConfigureAwait(false);
                if (await RenewAsync(_released.Token).ConfigureAwait(false) is not null)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (_released.IsCancellationRequested)
        {
            // Released: the run is over.
        }
        catch (Exception ex)
        {
            // Nothing may fault unobserved here: a renewal that failed in an unforeseen way loses the lease, loudly.
            LoseLease($"{Output}: renewing this run's lease {_lease} failed: {ex.Message}");
        }
    }

    public override async Task<string?> ConfirmAsync(CancellationToken ct) =>
        LostReason ?? await RenewAsync(ct).ConfigureAwait(false);

    public override void ThrowIfLost()
    {
        if (LostReason is { } reason)
        {
            throw StorageException.Failure(reason);
        }

        if (_time.GetUtcNow() >= Volatile.Read(ref _holder).Expires)
        {
            throw StorageException.Failure($"{Output}: this run's lease {_lease} expired before it was renewed; another run may be writing the output");
        }
    }

    /// <summary>Extends the lease from now, retrying until shortly before it expires; returns why it was lost, or null.</summary>
    private async Task<string?> RenewAsync(CancellationToken ct)
    {
        await _renewing.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            if (LostReason is { } already)
            {
                return already;
            }

            var giveUp = _holder.Expires!.Value - RenewalMargin;
            while (true)
            {
                var renewed = Renewal(_holder, _time);
                var left = giveUp - _time.GetUtcNow();
                Exception failure;
                if (left > TimeSpan.Zero)
                {
                    using var bounded = new CancellationTokenSource(left, _time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, bounded.Token);
                    try
                    {
                        if (await PutAsync(_store, _lease, renewed, _etag, linked.Token).ConfigureAwait(false) is not { } etag)
                        {
                            var other = await NewHolderAsync(ct).ConfigureAwait(false);
                            return LoseLease($"{Output}: another run took over this run's lease {_lease}{(other is null ? "" : $" ({other.Describe()})")}");
                        }

                        _etag = etag;
                        Volatile.Write(ref _holder, renewed);
                        return null;
                    }
                    catch (Exception ex) when (ex is StorageException || ex is OperationCanceledException && !ct.IsCancellationRequested)
                    {
                        failure = ex;
                    }
                }
                else
                {
                    failure = new TimeoutException("no time was left");
                }

                if (_time.GetUtcNow() >= giveUp)
                {
                    return LoseLease($"{Output}: this run's lease {_lease} could not be renewed before it expired ({failure.Message}); another run may take it over");
                }

                _logger.LogWarning("Renewing the lease {Lease} failed, trying again: {Reason}", _lease, failure.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), _time, ct).ConfigureAwait(false);
            }
        }
        finally
        {
            _renewing.Release();
        }
    }

    /// <summary>Who holds the lease now, for the message of a lost one; null when that cannot be read.</summary>
    private async Task<LockHolder?> NewHolderAsync(CancellationToken ct)
    {
        try
        {
            return (await ReadAsync(_store, _lease, ct).ConfigureAwait(false))?.Holder;
        }
        catch (StorageException)
        {
            return null;
        }
    }

    private string LoseLease(string reason)
    {
        Volatile.Write(ref _lostReason, reason);
        _lost.Cancel();
        return reason;
    }

    public override async ValueTask DisposeAsync()
    {
        await _released.CancelAsync().ConfigureAwait(false);
        await _renewals.ConfigureAwait(false);
        // Deleted only while it is surely this run's: a lease lost or about to expire may be another run's already.
        if (LostReason is null && _time.GetUtcNow() < _holder.Expires - RenewalMargin)
        {
            try
            {
                await _store.Client.DeleteObjectAsync(new DeleteObjectRequest { BucketName = _lease.Bucket, Key = _lease.Key, IfMatch = _etag }, CancellationToken.None)
                    .ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AmazonServiceException or AmazonClientException or IOException)
            {
                _logger.LogWarning("The lease {Lease} could not be deleted ({Reason}); it expires by itself at {Expires}", _lease, ex.Message, LockHolder.Format(_holder.Expires!.Value));
            }
        }

        _renewing.Dispose();
        _lost.Dispose();
        _released.Dispose();
    }

    /// <summary>Writes the lease: created (<paramref name="ifMatch"/> null: only if there is none) or replacing the
    /// version <paramref name="ifMatch"/>. Returns the new ETag, or null when the condition failed.</summary>
    private static async Task<string?> PutAsync(ObjectStore store, StorageLocation at, LockHolder holder, string? ifMatch, CancellationToken ct)
    {
        try
        {
            var response = await store.Client.PutObjectAsync(
                new PutObjectRequest
                {
                    BucketName = at.Bucket,
                    Key = at.Key,
                    InputStream = new MemoryStream(holder.ToJson(), writable: false),
                    IfNoneMatch = ifMatch is null ? "*" : null,
                    IfMatch = ifMatch,
                    UseChunkEncoding = !store.IsCustomEndpoint,
                },
                ct).ConfigureAwait(false);
            return response.ETag;
        }
        catch (AmazonS3Exception ex) when (ObjectStore.IsPreconditionFailed(ex) || IsConflictOrGone(ex, ifMatch))
        {
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ObjectStore.Explain(ex, at, "writing the output's lease");
        }
    }

    /// <summary>S3 answers 409 to a conditional write that raced another; <c>If-Match</c> on an object deleted
    /// meanwhile gets 404.</summary>
    private static bool IsConflictOrGone(AmazonS3Exception ex, string? ifMatch) =>
        ex.StatusCode == HttpStatusCode.Conflict || ifMatch is not null && ex.ErrorCode == "NoSuchKey";

    private static async Task<(LockHolder? Holder, string ETag)?> ReadAsync(ObjectStore store, StorageLocation at, CancellationToken ct)
    {
        try
        {
            using var response = await store.Client.GetObjectAsync(new GetObjectRequest { BucketName = at.Bucket, Key = at.Key }, ct).ConfigureAwait(false);
            using var bytes = new MemoryStream();
            await response.ResponseStream.CopyToAsync(bytes, ct).ConfigureAwait(false);
            return (LockHolder.Parse(bytes.ToArray()), response.ETag);
        }
        catch (AmazonS3Exception ex) when (ex.ErrorCode == "NoSuchKey")
        {
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw ObjectStore.Explain(ex, at, "reading the output's lease");
        }
    }
}
