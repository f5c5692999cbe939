using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Seldon.Batch.Dataflow;

/// <summary>Who holds an output's lock or lease: enough for the run that is refused to name it to its user, and for a
/// lease, until when it holds unless it renews.</summary>
/// <param name="Host">The machine (in Kubernetes: the pod) the holder runs on.</param>
/// <param name="ProcessId">The holder's process id on <paramref name="Host"/>.</param>
/// <param name="ProcessStarted">When that process started: a process id reused by a restarted container is told from
/// its predecessor by it. Null when it could not be read.</param>
/// <param name="Since">When the holder took the output.</param>
/// <param name="BatchId">The holder's <c>batch_id</c> when it was known as it took the output.</param>
/// <param name="LeaseId">Tells one holder from another when everything else is alike (two runs in one process).</param>
/// <param name="Expires">For a lease: when it ends unless renewed. Null for a lock, which ends with its process.</param>
/// <param name="Renewed">For a lease: when its holder last renewed it.</param>
/// <param name="RenewEvery">For a lease: how often its holder renews it, so another run can tell a live holder (it
/// renews on time) from a dead one (it missed a renewal) without sharing its settings.</param>
internal sealed record LockHolder(
    string Host,
    int ProcessId,
    DateTimeOffset? ProcessStarted,
    DateTimeOffset Since,
    string? BatchId,
    string LeaseId,
    DateTimeOffset? Expires = null,
    DateTimeOffset? Renewed = null,
    TimeSpan? RenewEvery = null)
{
    private static readonly Lazy<DateTimeOffset?> ThisProcessStarted = new(() =>
    {
        try
        {
            using var self = Process.GetCurrentProcess();
            return new DateTimeOffset(self.StartTime.ToUniversalTime(), TimeSpan.Zero);
        }
        catch (Exception ex) when (ex is InvalidOperationException or NotSupportedException or System.ComponentModel.Win32Exception)
        {
            return null;
        }
    });

    /// <summary>This process, taking an output now (on <paramref name="time"/>) for the batch <paramref name="batchId"/>
    /// (null or empty when the run has not chosen it yet).</summary>
    public static LockHolder ThisProcess(string? batchId, TimeProvider time) => new(
        Environment.MachineName,
        Environment.ProcessId,
        ThisProcessStarted.Value,
        time.GetUtcNow(),
        string.IsNullOrEmpty(batchId) ? null : batchId,
        Guid.NewGuid().ToString("N"));

    /// <summary>Whether the holder is an earlier process of this host with this process's id: a container restarted in
    /// its pod (its entry point gets the same id again), which cannot be alive since this process has its id.</summary>
    public bool IsPredecessorOfThisProcess =>
        Host == Environment.MachineName && ProcessId == Environment.ProcessId
        && ProcessStarted is { } started && ThisProcessStarted.Value is { } mine && started != mine;

    /// <summary>The holder in words: <c>pid 4242 on host-a since 2026-12-06T22:14:05Z, batch 'b-1'</c>.</summary>
    public string Describe() =>
        $"pid {ProcessId} on {Host} since {Format(Since)}{(BatchId is null ? "" : $", batch '{BatchId}'")}";

    public static string Format(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    public byte[] ToJson() => SmallJson.Write(json =>
    {
        json.WriteString("host", Host);
        json.WriteNumber("pid", ProcessId);
        if (ProcessStarted is { } started)
        {
            json.WriteString("process_started", started);
        }

        json.WriteString("since", Since);
        if (BatchId is not null)
        {
            json.WriteString("batch_id", BatchId);
        }

        json.WriteString("lease_id", LeaseId);
        if (Expires is { } expires)
        {
            json.WriteString("expires", expires);
        }

        if (Renewed is { } renewed)
        {
            json.WriteString("renewed", renewed);
        }

        if (RenewEvery is { } every)
        {
            json.WriteNumber("renew_every_seconds", every.TotalSeconds);
        }
    });

    /// <summary>Reads a holder written by <see cref="ToJson"/>; null when the bytes are not one.</summary>
    public static LockHolder? Parse(ReadOnlySpan<byte> bytes)
    {
        try
        {
            var reader = new Utf8JsonReader(bytes);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            return new LockHolder(
                root.GetProperty("host").GetString()!,
                root.GetProperty("pid").GetInt32(),
                root.TryGetProperty("process_started", out var started) ? started.GetDateTimeOffset() : null,
                root.GetProperty("since").GetDateTimeOffset(),
                root.TryGetProperty("batch_id", out var batch) ? batch.GetString() : null,
                root.TryGetProperty("lease_id", out var id) ? id.GetString() ?? "" : "",
                root.TryGetProperty("expires", out var expires) ? expires.GetDateTimeOffset() : null,
                root.TryGetProperty("renewed", out var renewed) ? renewed.GetDateTimeOffset() : null,
                root.TryGetProperty("renew_every_seconds", out var every) ? TimeSpan.FromSeconds(every.GetDouble()) : null);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            return null;
        }
    }
}
