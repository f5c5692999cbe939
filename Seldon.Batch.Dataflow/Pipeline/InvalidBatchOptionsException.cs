namespace Seldon.Batch.Dataflow.Pipeline;

/// <summary>A setting of <see cref="BatchOptions"/> is invalid; the message names it and says why.</summary>
public sealed class InvalidBatchOptionsException : ArgumentException
{
    /// <summary>Creates the exception with a message for the user.</summary>
    public InvalidBatchOptionsException(string message)
        : base(message)
    {
    }
}
