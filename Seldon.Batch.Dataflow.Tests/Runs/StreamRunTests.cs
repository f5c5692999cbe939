using System.IO.Pipelines;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Fixtures;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>Runs from the standard input and to the standard output (<c>-i -</c>, <c>-o -</c>), the streams given to
/// the run as a test's own (<see cref="StorageTuning.Streams"/>), against the built-in server.</summary>
[Trait("Category", "Integration")]
public sealed partial class StreamRunTests(DemoServerFixture fixture) : IClassFixture<DemoServerFixture>, IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-stream-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task A_run_from_stdin_to_stdout_writes_the_lines_a_file_run_writes(string transport)
    {
        string[] lines = [.. Enumerable.Range(0, 300).Select(i => i % 50 == 7 ? "not json" : $"[[{i}, {i % 3}]]")];
        var options = BatchHarness.Options(fixture.Server, transport) with { Block = BatchHarness.BlockOptions with { BatchSize = 8 } };
        var fromFile = await RunFilesAsync(options, lines);

        var output = new MemoryStream();
        var summary = await BatchRun.RunAsync(
            options with { InputDataPath = "-", OutputDataPath = "-" }, Streams(Input(lines), output));

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(300, summary.Instances);
        Assert.Equal(Normalized(fromFile), Normalized(Encoding.UTF8.GetString(output.ToArray())));
        // Nothing next to a stream: no lock, side file or record in the working folder or anywhere named "-".
        Assert.False(File.Exists("-.lock") || File.Exists("-.partial") || File.Exists("-.partial.json") || File.Exists("-.run.json"));
    }

    [Fact]
    public async Task A_csv_table_from_stdin_is_read_as_its_file_is()
    {
        // More rows than the table's description reads (1,000): the rows it read are read again from what it kept.
        string[] csv = ["a,b", .. Enumerable.Range(0, 1500).Select(i => $"{i},{i % 7}.5")];
        var options = BatchHarness.Options(fixture.Server, "rest") with { InputFormat = TableFormat.Csv, Block = BatchHarness.BlockOptions with { BatchSize = 16 } };
        var input = PathOf("in.csv");
        await File.WriteAllLinesAsync(input, csv);
        var fileSummary = await BatchRun.RunAsync(options with { InputDataPath = input, OutputDataPath = PathOf("out.txt") });
        Assert.Equal(RunOutcome.Completed, fileSummary.Outcome);

        var output = new MemoryStream();
        var summary = await BatchRun.RunAsync(options with { InputDataPath = "-", OutputDataPath = "-" }, Streams(Input(csv), output));

        Assert.True(summary.Outcome == RunOutcome.Completed, summary.StopReason);
        Assert.Equal(1500, summary.Succeeded);
        Assert.Equal(Normalized(await File.ReadAllTextAsync(PathOf("out.txt"))), Normalized(Encoding.UTF8.GetString(output.ToArray())));
    }

    [Fact]
    public async Task Stdout_gets_each_answered_chunk_before_the_input_ends()
    {
        // The run's clock never moves, so the writer's once-a-second flush never comes: only the flush of each written
        // chunk can show the first lines while the input is still open.
        var stdin = new Pipe();
        var stdout = new LineCountingStream(wanted: 3);
        var options = BatchHarness.Options(fixture.Server, "rest") with { InputDataPath = "-", OutputDataPath = "-" };
        using var client = PredictionClients.CreateInspector(options.Endpoint);
        var run = BatchRun.RunAsync(
            options with { Block = options.Block with { TimeProvider = new FakeTimeProvider() } }, client, client, Streams(stdin.Reader.AsStream(), stdout));

        await stdin.Writer.WriteAsync(Encoding.UTF8.GetBytes("[[1]]\n[[2]]\n[[3]]\n"));
        await stdout.Seen.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.False(run.IsCompleted);
        await stdin.Writer.WriteAsync(Encoding.UTF8.GetBytes("[[4]]\n"));
        await stdin.Writer.CompleteAsync();

        var summary = await run;
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(4, stdout.Lines);
    }

    [Fact]
    public async Task A_closed_stdout_ends_the_run_as_output_closed_without_a_failure()
    {
        string[] lines = [.. Enumerable.Range(0, 2000).Select(i => $"[[{i}]]")];
        var options = BatchHarness.Options(fixture.Server, "rest") with { InputDataPath = "-", OutputDataPath = "-" };

        var summary = await BatchRun.RunAsync(options, Streams(Input(lines), new BrokenPipeStream()));

        Assert.Equal(RunOutcome.OutputClosed, summary.Outcome);
        Assert.Contains("closed by its reader", summary.StopReason);
        Assert.Null(summary.OutputPath);
    }

    [Fact]
    public async Task A_file_output_from_stdin_is_published_and_a_partial_one_in_its_place_is_refused_unless_restarted()
    {
        string[] lines = [.. Enumerable.Range(0, 20).Select(i => $"[[{i}]]")];
        var output = PathOf("out.txt");
        var options = BatchHarness.Options(fixture.Server, "rest") with { InputDataPath = "-", OutputDataPath = output };
        await File.WriteAllTextAsync(output + ".partial", "{\"left\":\"by an interrupted run\"}\n");

        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options, Streams(Input(lines), new MemoryStream())));
        Assert.Contains("a stream cannot be resumed", refused.Message);
        Assert.Contains(nameof(BatchOptions.Restart), refused.Properties);
        Assert.True(File.Exists(output + ".partial"));

        var summary = await BatchRun.RunAsync(options with { Restart = true }, Streams(Input(lines), new MemoryStream()));
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(20, (await File.ReadAllLinesAsync(output)).Length);
        Assert.False(File.Exists(output + ".partial"));
    }

    private async Task<string> RunFilesAsync(BatchOptions options, IEnumerable<string> lines)
    {
        var input = PathOf("in.txt");
        var output = PathOf("out.txt");
        await File.WriteAllLinesAsync(input, lines);
        var summary = await BatchRun.RunAsync(options with { InputDataPath = input, OutputDataPath = output });
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        return await File.ReadAllTextAsync(output);
    }

    private static MemoryStream Input(IEnumerable<string> lines) => new(Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n"))));

    /// <summary>The store's usual sizes, with <paramref name="input"/> and <paramref name="output"/> as the standard streams.</summary>
    private static StorageTuning Streams(Stream input, Stream output) => new() { Streams = new StandardStreams(() => input, () => output) };

    /// <summary>The output with the ids that differ from run to run (each process draws its own) replaced.</summary>
    private static string Normalized(string output) => Uuid().Replace(output, "ID");

    [GeneratedRegex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")]
    private static partial Regex Uuid();

    /// <summary>An output whose reader left: every write fails as a closed pipe does (EPIPE).</summary>
    private sealed class BrokenPipeStream : MemoryStream
    {
        public override void Write(ReadOnlySpan<byte> buffer) => throw new IOException("Broken pipe", 32);

        public override void Write(byte[] buffer, int offset, int count) => throw new IOException("Broken pipe", 32);
    }

    /// <summary>An output that counts its lines and says when it has seen <paramref name="wanted"/>.</summary>
    private sealed class LineCountingStream(int wanted) : Stream
    {
        private readonly TaskCompletionSource _seen = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _lines;

        public Task Seen => _seen.Task;

        public int Lines => Volatile.Read(ref _lines);

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (Interlocked.Add(ref _lines, buffer.AsSpan(offset, count).Count((byte)'\n')) >= wanted)
            {
                _seen.TrySetResult();
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
