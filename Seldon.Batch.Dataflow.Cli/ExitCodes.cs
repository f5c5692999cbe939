namespace Seldon.Batch.Dataflow.Cli;

/// <summary>The process exit codes, documented in docs/usage.md.</summary>
public static class ExitCodes
{
    /// <summary>The run finished; every line has its output line.</summary>
    public const int Success = 0;

    /// <summary>Something unexpected failed.</summary>
    public const int Unexpected = 1;

    /// <summary>A setting is invalid, the output in place (a partial output, a shard's part, or the complete output
    /// <c>--resume</c>/<c>--retry-failed</c> keep) belongs to another input or other settings, or another run is writing
    /// the same output; nothing was sent or changed.</summary>
    public const int InvalidSettings = 2;

    /// <summary>Stopped: a misconfigured endpoint, an outage past <c>--max-outage</c>, a model that never answered, or
    /// <c>--max-failures</c>; the side file is resumable.</summary>
    public const int Stopped = 3;

    /// <summary>Interrupted by Ctrl-C (SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM.</summary>
    public const int Terminated = 143;
}
