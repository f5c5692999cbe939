using System.Text;
using System.Text.RegularExpressions;
using FsCheck;
using FsCheck.Fluent;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Runs;

/// <summary>Properties: micro-batch k holds lines [k·s, (k+1)·s) of the input in every run, so against a model whose
/// answer depends on a row's position in its request, a run interrupted anywhere (a side file cut at a random line or
/// byte, a torn last line included) and resumed, and N shards joined by merge, write the bytes of one uninterrupted
/// run, apart from the ids made per request (<c>batch_instance_id</c>, and V2's <c>inference_id</c>).</summary>
[Trait("Category", "Integration")]
public sealed partial class MicroBatchBoundaryProperties(PositionServerFixture fixture) : IClassFixture<PositionServerFixture>
{
    /// <summary>What the lines are sent as: Seldon ndarray or tensor, or Open Inference (V2) tensors.</summary>
    public enum Model
    {
        Ndarray,
        Tensor,
        OpenInference,
    }

    public sealed record Setting(string Transport, Model Model, int BatchSize, int Workers, string[] Lines)
    {
        public override string ToString() =>
            $"{Transport}, {Model}, batch size {BatchSize}, {Workers} workers, {Lines.Length} lines: {string.Join(" | ", Lines)}";
    }

    /// <summary>An interruption: the side file holds the reference output up to <see cref="Cut"/> of its bytes, moved to
    /// the next line end unless <see cref="Torn"/>.</summary>
    public sealed record ResumeCase(Setting Setting, double Cut, bool Torn)
    {
        public override string ToString() => $"cut at {Cut:P1}{(Torn ? " (torn)" : " (at a line end)")}, {Setting}";
    }

    public sealed record ShardCase(Setting Setting, int Shards)
    {
        public override string ToString() => $"{Shards} shards, {Setting}";
    }

    private static Gen<string> Row(int width) =>
        Gen.ArrayOf(Gen.Choose(-50, 50), width).Select(values => "[" + string.Join(", ", values) + "]");

    /// <summary>Mostly lines of one row, some of two (they shift the positions of the rows after them), a few that cannot
    /// be sent (an error record of their own, in no request).</summary>
    private static Gen<string> Line(int width) => Gen.Frequency(
        (8, Row(width).Select(r => $"[{r}]")),
        (2, Gen.Zip(Row(width), Row(width)).Select(rows => $"[{rows.Item1}, {rows.Item2}]")),
        (1, Gen.Constant("oops")));

    private static readonly Gen<Setting> Settings =
        from transport in Gen.Elements("rest", "grpc")
        from model in Gen.Elements(Model.Ndarray, Model.Tensor, Model.OpenInference)
        from batchSize in Gen.Frequency((1, Gen.Constant(1)), (6, Gen.Choose(2, 6)), (1, Gen.Choose(7, 16)))
        from workers in Gen.Choose(1, 4)
        from width in Gen.Choose(1, 3)
        from count in Gen.Choose(1, 40)
        from lines in Gen.ArrayOf(Line(width), count)
        from sendable in Line(width).Where(l => l != "oops")
            // At least one line is sent, so the run writes its record before its first request.
        select new Setting(transport, model, batchSize, workers, lines.All(l => l == "oops") ? [sendable, .. lines[1..]] : lines);

    private static readonly Gen<ResumeCase> ResumeCases =
        from setting in Settings
        from cut in Gen.Choose(0, 1000).Select(n => n / 1000.0)
        from torn in Gen.Elements(false, true)
        select new ResumeCase(setting, cut, torn);

    private static readonly Gen<ShardCase> ShardCases =
        from setting in Settings
        from shards in Gen.Choose(2, 6)
        select new ShardCase(setting, shards);

    [Fact]
    public async Task A_run_interrupted_anywhere_and_resumed_writes_what_one_uninterrupted_run_writes()
    {
        var property = Prop.ForAll(ResumeCases.ToArbitrary(), (ResumeCase c) => ResumeAsync(c).GetAwaiter().GetResult());
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(25).WithQuietOnSuccess(true), property));
    }

    [Fact]
    public async Task Shards_joined_by_merge_write_what_one_process_writes()
    {
        var property = Prop.ForAll(ShardCases.ToArbitrary(), (ShardCase c) => ShardsAsync(c).GetAwaiter().GetResult());
        await Task.Run(() => Check.One(Config.QuickThrowOnFailure.WithMaxTest(20).WithQuietOnSuccess(true), property));
    }

    private BatchOptions OptionsOf(Setting s, string dir) => Fixtures.BatchHarness.Options(fixture.Server, s.Transport).WithEndpoint(e => e with { Protocol = s.Model == Model.OpenInference ? InferenceProtocol.V2 : InferenceProtocol.Seldon }).WithBlock(b => b with { BatchSize = s.BatchSize, Workers = s.Workers, MaxAttempts = 1, PayloadType = s.Model == Model.Tensor ? PayloadType.Tensor : PayloadType.Ndarray }) with
    {
        InputDataPath = Path.Combine(dir, "input.txt"),
        OutputDataPath = Path.Combine(dir, "output.txt"),
    };

    private async Task<bool> ResumeAsync(ResumeCase c)
    {
        var dir = Directory.CreateTempSubdirectory("sbd-bound-");
        try
        {
            var options = OptionsOf(c.Setting, dir.FullName);
            await File.WriteAllTextAsync(options.InputDataPath, string.Concat(c.Setting.Lines.Select(l => l + "\n")));
            var record = RunRecord.PartialPathOf(options.OutputDataPath);
            var saved = Path.Combine(dir.FullName, "saved.partial.json");

            // The uninterrupted run, whose record of its input is kept as it was while the run was unfinished.
            using (var inspector = PredictionClients.CreateInspector(options.Endpoint))
            using (var client = new RecordKeeper(inspector, record, saved))
            {
                var whole = await BatchRun.RunAsync(options, client, inspector);
                Assert.Equal(RunOutcome.Completed, whole.Outcome);
            }

            var reference = await File.ReadAllBytesAsync(options.OutputDataPath);

            // What a kill leaves: the side file cut at a line end or anywhere in a line, and the run's record.
            var cut = (int)(reference.Length * c.Cut);
            if (!c.Torn)
            {
                cut = cut == 0 ? 0 : Array.IndexOf(reference, (byte)'\n', cut - 1) + 1;
            }

            await File.WriteAllBytesAsync(PartialOutput.SidePathOf(options.OutputDataPath), reference[..cut]);
            File.Copy(saved, record);
            File.Delete(options.OutputDataPath);
            File.Delete(RunRecord.CompletePathOf(options.OutputDataPath));
            var kept = reference[..cut].Count(b => b == (byte)'\n');

            var resumed = await BatchRun.RunAsync(options with { Resume = true });

            Assert.Equal(RunOutcome.Completed, resumed.Outcome);
            Assert.Equal(kept, resumed.ResumedLines);
            Assert.Equal(c.Setting.Lines.Length - kept, resumed.Instances);
            Assert.Equal(WithoutRequestIds(reference), WithoutRequestIds(await File.ReadAllBytesAsync(options.OutputDataPath)));
            return true;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private async Task<bool> ShardsAsync(ShardCase c)
    {
        var dir = Directory.CreateTempSubdirectory("sbd-bound-");
        try
        {
            var options = OptionsOf(c.Setting, dir.FullName);
            await File.WriteAllTextAsync(options.InputDataPath, string.Concat(c.Setting.Lines.Select(l => l + "\n")));
            var reference = Path.Combine(dir.FullName, "reference.txt");
            Assert.Equal(RunOutcome.Completed, (await BatchRun.RunAsync(options with { OutputDataPath = reference })).Outcome);

            var shards = await Task.WhenAll(Enumerable.Range(0, c.Shards)
                .Select(k => Task.Run(() => BatchRun.RunAsync(options with { ShardCount = c.Shards, ShardIndex = k }))));
            var merged = await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = c.Shards });

            Assert.All(shards, s => Assert.Equal(RunOutcome.Completed, s.Outcome));
            Assert.Equal(c.Setting.Lines.Length, merged.Instances);
            Assert.Equal(
                WithoutRequestIds(await File.ReadAllBytesAsync(reference)),
                WithoutRequestIds(await File.ReadAllBytesAsync(options.OutputDataPath)));
            return true;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>The output's text with the values of the ids every run makes anew per request blanked, byte for byte otherwise.</summary>
    private static string WithoutRequestIds(byte[] output) => RequestIds().Replace(Encoding.UTF8.GetString(output), "\"$1\":\"\"");

    [GeneratedRegex("\"(batch_instance_id|inference_id)\":\"[^\"]*\"")]
    private static partial Regex RequestIds();

    /// <summary>Sends through <paramref name="inner"/>, and before the first request copies the run's record of its
    /// unfinished output (written before the first line is sent, deleted when the output is published) to
    /// <paramref name="copy"/>: what a run killed at any moment leaves next to its side file.</summary>
    private sealed class RecordKeeper(IPredictionClient inner, string record, string copy) : IPredictionClient
    {
        public InferenceProtocol Protocol => inner.Protocol;

        private int _sent;

        public Task<PredictionResponse> SendAsync(PredictionRequest request, CancellationToken cancellationToken)
        {
            if (Interlocked.Exchange(ref _sent, 1) == 0)
            {
                File.Copy(record, copy);
            }

            return inner.SendAsync(request, cancellationToken);
        }

        public void Dispose()
        {
            // The inner client belongs to the caller.
        }
    }
}
