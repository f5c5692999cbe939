namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>Marks a test class whose tests take half a minute or more together, with about how long on a quiet two-core
/// machine: <see cref="LongRunningFirst"/> starts the longest classes first, so that none begins last and holds up
/// the end of the run.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class LongRunningAttribute(int seconds) : Attribute
{
    public int Seconds { get; } = seconds;
}
