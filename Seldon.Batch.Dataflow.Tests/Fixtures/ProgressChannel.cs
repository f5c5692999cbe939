using System.Threading.Channels;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>Keeps every progress report in order, for a test that moves a fake clock and awaits the report of each tick
/// (<see cref="Progress{T}"/> would post them later, elsewhere).</summary>
internal sealed class ProgressChannel : IProgress<RunProgress>
{
    private readonly Channel<RunProgress> _reports = Channel.CreateUnbounded<RunProgress>();

    public void Report(RunProgress value) => _reports.Writer.TryWrite(value);

    /// <summary>The next report if one is waiting.</summary>
    public bool TryNext(out RunProgress report) => _reports.Reader.TryRead(out report!);

    /// <summary>The next report; fails the test when none comes within 30 s.</summary>
    public Task<RunProgress> NextAsync() => _reports.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
}
