namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>How a run ended.</summary>
public enum RunOutcome
{
    /// <summary>Every input line has its output line; the output file is in place.</summary>
    Completed,

    /// <summary>Cancelled (Ctrl-C, SIGTERM): the ordered prefix written so far is kept in the side file; <c>--resume</c> continues.</summary>
    Interrupted,

    /// <summary>Stopped by the failure policy or because the model was unreachable; the side file holds the prefix.</summary>
    Stopped,
}
