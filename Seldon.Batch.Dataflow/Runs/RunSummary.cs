using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow;

/// <summary>What a file run did: the result of a <see cref="BatchRun"/>. Made by the run; tests make one with
/// <see cref="BatchModelFactory.RunSummary"/>.</summary>
public sealed record RunSummary
{
    internal RunSummary()
    {
    }

    /// <summary>How the run ended.</summary>
    public RunOutcome Outcome { get; internal init; } = RunOutcome.Completed;

    /// <summary>Why the run stopped early (<see cref="RunOutcome.Stopped"/>) or was interrupted; null when it completed.</summary>
    public string? StopReason { get; internal init; }

    /// <summary>Input lines this run processed (each has its output line).</summary>
    public long Instances { get; internal init; }

    /// <summary>Lines already in the output from an earlier, interrupted run this one continued, not processed again.</summary>
    public long ResumedLines { get; internal init; }

    /// <summary>Predictions in the output: those of this run and those it kept (a resumed prefix, the lines a retry
    /// did not send again).</summary>
    public long Succeeded { get; internal init; }

    /// <summary>Error records in the output, those of a resumed prefix included.</summary>
    public long Failed { get; internal init; }

    /// <summary>With <c>--retry-failed</c>: error records sent again (as many as <see cref="Instances"/>).</summary>
    public long RetriedLines { get; internal init; }

    /// <summary>With <c>--retry-failed</c>: lines sent again that are now predictions.</summary>
    public long FixedLines { get; internal init; }

    /// <summary>Error records by kind of failure ("invalid JSON", "HTTP 503 Service Unavailable", …), those of a
    /// resumed prefix included.</summary>
    public IReadOnlyDictionary<string, long> FailuresByKind { get; internal init; } = new Dictionary<string, long>();

    /// <summary>Attempts beyond the first, over all requests.</summary>
    public long Retries { get; internal init; }

    /// <summary>Requests sent (attempts not counted).</summary>
    public long Requests { get; internal init; }

    /// <summary>Wall-clock time of the run.</summary>
    public TimeSpan Elapsed { get; internal init; }

    /// <summary>Median time of a request, retries included.</summary>
    public TimeSpan LatencyP50 { get; internal init; }

    /// <summary>95th percentile of the request time.</summary>
    public TimeSpan LatencyP95 { get; internal init; }

    /// <summary>99th percentile of the request time.</summary>
    public TimeSpan LatencyP99 { get; internal init; }

    /// <summary>Where the output was written (or, when the run did not complete, the side file holding its prefix); null
    /// when the run left nothing (it stopped before it wrote a line).</summary>
    public string? OutputPath { get; internal init; }

    /// <summary>Instances per second over the run.</summary>
    public double InstancesPerSecond => Elapsed > TimeSpan.Zero ? Instances / Elapsed.TotalSeconds : 0;

    /// <summary>The summary as indented JSON, snake_case names, failures under <c>failed_by_reason</c> (what
    /// <c>--summary-path</c> writes).</summary>
    public string ToJson()
    {
        var failures = new JsonObject();
        foreach (var (kind, count) in FailuresByKind)
        {
            failures[kind] = count;
        }

        var json = new JsonObject
        {
            ["outcome"] = Outcome.ToString().ToLowerInvariant(),
            ["stop_reason"] = StopReason,
            ["output_path"] = OutputPath,
            ["instances"] = Instances,
            ["resumed_lines"] = ResumedLines,
            ["succeeded"] = Succeeded,
            ["failed"] = Failed,
            ["failed_by_reason"] = failures,
            ["retried_lines"] = RetriedLines,
            ["fixed_lines"] = FixedLines,
            ["requests"] = Requests,
            ["retries"] = Retries,
            ["elapsed_seconds"] = Math.Round(Elapsed.TotalSeconds, 3),
            ["instances_per_second"] = Math.Round(InstancesPerSecond, 1),
            ["latency_ms"] = new JsonObject
            {
                ["p50"] = Math.Round(LatencyP50.TotalMilliseconds, 3),
                ["p95"] = Math.Round(LatencyP95.TotalMilliseconds, 3),
                ["p99"] = Math.Round(LatencyP99.TotalMilliseconds, 3),
            },
        };
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>The summary for people, one figure per line (what <c>-b</c> prints), lines separated by
    /// <see cref="Environment.NewLine"/>.</summary>
    public string ToText()
    {
        var c = CultureInfo.InvariantCulture;
        var lines = new List<string>
        {
            $"outcome: {Outcome.ToString().ToLowerInvariant()}{(StopReason is null ? "" : " (" + StopReason + ")")}",
            $"output: {OutputPath}",
            $"instances: {Instances}",
        };
        if (ResumedLines > 0)
        {
            lines.Add($"resumed lines: {ResumedLines}");
        }

        if (RetriedLines > 0)
        {
            lines.Add($"retried lines: {RetriedLines}");
            lines.Add($"fixed lines: {FixedLines}");
        }

        lines.Add($"succeeded: {Succeeded}");
        lines.Add($"failed: {Failed}");
        lines.AddRange(FailuresByKind.Select(f => $"  {f.Key}: {f.Value}"));
        lines.Add($"requests: {Requests}");
        lines.Add($"retries: {Retries}");
        lines.Add(string.Create(c, $"elapsed: {Elapsed.TotalSeconds:0.000} s"));
        lines.Add(string.Create(c, $"instances per second: {InstancesPerSecond:0.0}"));
        lines.Add(string.Create(c, $"latency p50/p95/p99: {LatencyP50.TotalMilliseconds:0.###} / {LatencyP95.TotalMilliseconds:0.###} / {LatencyP99.TotalMilliseconds:0.###} ms"));
        return string.Join(Environment.NewLine, lines);
    }

    /// <inheritdoc />
    public override string ToString()
    {
        var c = CultureInfo.InvariantCulture;
        var kept = (ResumedLines > 0 ? string.Create(c, $"resumed lines: {ResumedLines}, ") : "") +
            (RetriedLines > 0 ? string.Create(c, $"retried lines: {RetriedLines}, fixed lines: {FixedLines}, ") : "");
        return string.Create(c, $"{Outcome.ToString().ToLowerInvariant()}: instances: {Instances}, {kept}succeeded: {Succeeded}, failed: {Failed}, ") +
            string.Create(c, $"requests: {Requests}, retries: {Retries}, elapsed: {Elapsed.TotalSeconds:0.000} s, instances per second: {InstancesPerSecond:0.0}");
    }
}
