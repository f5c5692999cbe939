namespace Seldon.Batch.Dataflow.Cli;

/// <summary>The process exit codes, documented in docs/usage.md.</summary>
public static class ExitCodes
{
    /// <summary>The run finished; every line has its output line.</summary>
    public const int Success = 0;

    /// <summary>Something unexpected failed.</summary>
    public const int Unexpected = 1;

    /// <summary>The settings must change before the same command can succeed: a setting is invalid, or what it names is
    /// not there or not allowed (an input, a bucket, a part to merge, a writable path, AWS credentials), the output in
    /// place (a partial output, a shard's part, or the complete output <c>--resume</c>/<c>--retry-failed</c> keep) belongs
    /// to another input or other settings, or another run is writing the same output. Nothing was sent or changed, and no
    /// partial output is left behind.</summary>
    public const int InvalidSettings = 2;

    /// <summary>Stopped by something that failed while running: the model endpoint (a misconfigured route, an outage past
    /// <c>--max-outage</c>, a model that never answered), the storage (a full disk, an object store that cannot be
    /// reached), or <c>--max-failures</c>; the partial output, when any line was written, is resumable.</summary>
    public const int Stopped = 3;

    /// <summary>Interrupted by Ctrl-C (SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>Stopped by SIGTERM.</summary>
    public const int Terminated = 143;

    /// <summary>The reader of the standard output (<c>-o -</c>) closed it (a broken pipe, as after <c>| head -1</c>): the
    /// run stopped sending; 128 + SIGPIPE, what a Unix tool the pipe ended would exit with.</summary>
    public const int OutputClosed = 141;
}
