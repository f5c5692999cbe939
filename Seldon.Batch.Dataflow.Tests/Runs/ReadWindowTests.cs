using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>The file run's read-ahead window: the reader goes on at once while fewer than the limit of lines are out,
/// and once it waited, not before the writer has brought them down to the resume mark.</summary>
public sealed class ReadWindowTests
{
    [Fact]
    public async Task The_reader_waits_at_the_limit_until_the_writer_brings_the_lines_out_down_to_the_resume_mark()
    {
        var window = new ReadWindow(limit: 8, resume: 4);
        for (var i = 0; i < 8; i++)
        {
            Assert.True(window.WaitForRoomAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully);
            window.Sent();
        }

        var waiting = window.WaitForRoomAsync(CancellationToken.None).AsTask();
        Assert.False(waiting.IsCompleted);
        window.Written(3); // 5 out: still above the mark
        Assert.False(waiting.IsCompleted);
        window.Written(1); // 4 out
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));

        // Four lines go on without waiting again.
        for (var i = 0; i < 4; i++)
        {
            Assert.True(window.WaitForRoomAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully);
            window.Sent();
        }

        Assert.False(window.WaitForRoomAsync(CancellationToken.None).AsTask().IsCompleted);
    }

    [Fact]
    public async Task A_reader_that_finds_the_lines_already_written_does_not_wait()
    {
        var window = new ReadWindow(limit: 2, resume: 0);
        window.Sent();
        window.Sent();
        window.Written(2);
        Assert.True(window.WaitForRoomAsync(CancellationToken.None).AsTask().IsCompletedSuccessfully);

        window.Sent();
        window.Sent();
        var waiting = window.WaitForRoomAsync(CancellationToken.None).AsTask();
        window.Written(1);
        window.Written(1);
        await waiting.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task A_stop_ends_the_wait()
    {
        var window = new ReadWindow(limit: 1, resume: 0);
        window.Sent();
        using var stop = new CancellationTokenSource();
        var waiting = window.WaitForRoomAsync(stop.Token).AsTask();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_reader_and_a_writer_on_two_threads_never_have_more_than_the_limit_out()
    {
        const int lines = 50_000; // about 3,000 waits for room and wake-ups at the window's edge
        var window = new ReadWindow(limit: 64, resume: 48);
        var queue = new System.Collections.Concurrent.BlockingCollection<int>();
        long sent = 0, written = 0, most = 0;
        var writer = Task.Run(() =>
        {
            foreach (var _ in queue.GetConsumingEnumerable())
            {
                Interlocked.Increment(ref written);
                window.Written(1);
            }
        });

        for (var i = 0; i < lines; i++)
        {
            await window.WaitForRoomAsync(CancellationToken.None);
            var outNow = ++sent - Interlocked.Read(ref written);
            most = Math.Max(most, outNow);
            window.Sent();
            queue.Add(i);
        }

        queue.CompleteAdding();
        await writer.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(lines, written);
        Assert.InRange(most, 1, 64);
    }

    [Fact]
    public void The_file_runs_window_fits_in_its_predict_stage()
    {
        foreach (var (workers, batch) in new[] { (16, 1), (16, 32), (1, 1), (4, 1000) })
        {
            var options = new PredictionBlockOptions { Workers = workers, BatchSize = batch };
            var window = ReadWindow.For(options);
            Assert.Equal(PredictionBlock.LinesInFlight(options), window.Limit);
            // A short group waits in the batch stage until the next lines come: the reader must go on before the lines
            // out fall below a group's, or it would wait for that group forever.
            Assert.InRange(window.Resume, batch, window.Limit - batch);
            Assert.True(window.Limit / batch < PredictStage.Window(options));
        }
    }
}
