namespace Seldon.Batch.Dataflow.Cli;

/// <summary>How log lines are written on stderr (<c>--log-format</c>).</summary>
internal enum CliLogFormat
{
    /// <summary>One line of text per message, for people (and the progress bar on a terminal).</summary>
    Text,

    /// <summary>One JSON object per line, for a log store: time, level, logger, message, run and batch ids, the
    /// message's fields, the trace and span ids, the exception.</summary>
    Json,
}
