namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>What a run did.</summary>
public sealed record RunSummary
{
    /// <summary>Input lines processed (each has one output line).</summary>
    public long Instances { get; init; }

    /// <summary>Lines answered by the model.</summary>
    public long Succeeded { get; init; }

    /// <summary>Lines written as error records.</summary>
    public long Failed { get; init; }

    /// <summary>Attempts beyond the first, over all requests.</summary>
    public long Retries { get; init; }

    /// <summary>Requests sent (attempts not counted).</summary>
    public long Requests { get; init; }

    /// <summary>Wall-clock time of the run.</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>Where the output was written, for file runs.</summary>
    public string? OutputPath { get; init; }

    /// <summary>Instances per second over the run.</summary>
    public double InstancesPerSecond => Elapsed > TimeSpan.Zero ? Instances / Elapsed.TotalSeconds : 0;

    /// <inheritdoc />
    public override string ToString() =>
        $"instances: {Instances}, succeeded: {Succeeded}, failed: {Failed}, requests: {Requests}, retries: {Retries}, " +
        $"elapsed: {Elapsed.TotalSeconds:0.000} s, instances per second: {InstancesPerSecond:0.0}";
}
