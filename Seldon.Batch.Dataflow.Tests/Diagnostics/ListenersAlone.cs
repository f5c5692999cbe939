namespace Seldon.Batch.Dataflow.Tests.Diagnostics;

/// <summary>The tests that listen to the library's meter and activity source: the listeners are process-wide, so these
/// run alone, not beside other classes' runs (whose measurements they would count, or whose spans a test that needs
/// no listener would be turned on by).</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ListenersAlone
{
    public const string Name = "Telemetry";
}
