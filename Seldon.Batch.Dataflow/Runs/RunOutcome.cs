namespace Seldon.Batch.Dataflow;

/// <summary>How a run ended.</summary>
public enum RunOutcome
{
    /// <summary>Every input line has its output line; the output file is in place.</summary>
    Completed,

    /// <summary>Cancelled (Ctrl-C, SIGTERM): the ordered prefix written so far is kept in the side file; the next run continues it.</summary>
    Interrupted,

    /// <summary>Stopped by a failure about the endpoint (a misconfiguration, an outage past <c>--max-outage</c>, a model
    /// that never answered) or by <c>--max-failures</c>; the side file holds the prefix, up to the first line not answered.</summary>
    Stopped,

    /// <summary>The reader of a stream output (<c>-o -</c>, the standard output) closed it, as <c>| head -1</c> does once
    /// it has its lines: the lines written before are out, the rest were not sent. Nothing is kept to continue.</summary>
    OutputClosed,
}
