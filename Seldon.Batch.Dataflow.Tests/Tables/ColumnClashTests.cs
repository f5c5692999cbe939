using System.Globalization;
using Seldon.Batch.Dataflow;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>A table output's column names are unique: a kept column named like a prediction column or <c>error</c> is
/// refused (<see cref="InvalidBatchOptionsException"/> naming <c>KeepColumns</c>) as early as it can be known: against
/// the input's columns and <c>error</c> before any request, against an Open Inference model's declared outputs before
/// the first line, against the first Seldon answer's names as it is written (its records kept for a run with other
/// columns to keep).</summary>
[Trait("Category", "Integration")]
public sealed class ColumnClashTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private readonly DemoServerFixture _fixture;
    private readonly TableRuns _runs = new();

    public ColumnClashTests(DemoServerFixture fixture) => _fixture = fixture;

    public void Dispose() => _runs.Dispose();

    private long Predictions => _fixture.Server.Statistics.PredictRequests;

    private static IEnumerable<string> SeldonLines(int count) =>
        Enumerable.Range(0, count).Select(i => string.Create(CultureInfo.InvariantCulture, $$$"""{"data":{"ndarray":[[{{{i}}}]]}}"""));

    private BatchOptions Seldon => Options(_fixture.Server, "rest").WithBlock(b => b with { DataType = DataType.Raw, BatchSize = 4, BatchId = "clash" });

    private static MemoryTable Table(params string[] columns) => new(
        [.. columns.Select(c => new TableColumn(c, typeof(string)))],
        [.. Enumerable.Range(0, 12).Select(i => columns.Select(c => (object?)$"{c}-{i}").ToArray())]);

    private async Task<InvalidBatchOptionsException> RefusedAsync(BatchOptions options, MemoryTable input)
    {
        var before = Predictions;
        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => _runs.RunAsync(options, FakeTables.Files(input)));
        Assert.Equal(nameof(BatchOptions.KeepColumns), refused.Property);
        Assert.Equal(before, Predictions);
        Assert.DoesNotContain("out.parquet", _runs.Files());
        Assert.DoesNotContain("out.parquet.records.jsonl.partial", _runs.Files());
        return refused;
    }

    [Fact]
    public async Task An_input_column_named_error_is_refused_before_any_request_whether_kept_by_default_or_by_name()
    {
        await _runs.WriteInputAsync(SeldonLines(12));

        var byDefault = await RefusedAsync(Seldon, Table("id", "error"));
        Assert.Contains("has a column named 'error'", byDefault.Message, StringComparison.Ordinal);
        Assert.Contains("give KeepColumns without it", byDefault.Message, StringComparison.Ordinal);

        var byName = await RefusedAsync(Seldon with { KeepColumns = ["id", "error"] }, Table("id", "error"));
        Assert.Contains("KeepColumns keeps the input column 'error'", byName.Message, StringComparison.Ordinal);

        // Left out, the column is no trouble.
        var summary = await _runs.RunAsync(Seldon with { KeepColumns = ["id"] }, FakeTables.Files(Table("id", "error")));
        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(["id", "t:0", "error"], (await FakeTables.ReadAsync(_runs.Table)).Names);
    }

    [Fact]
    public async Task Kept_columns_the_input_does_not_have_or_named_twice_are_refused_before_any_request()
    {
        await _runs.WriteInputAsync(SeldonLines(12));

        var unknown = await RefusedAsync(Seldon with { KeepColumns = ["id", "nope"] }, Table("id", "city"));
        Assert.Contains("names the column 'nope', which the input", unknown.Message, StringComparison.Ordinal);
        Assert.Contains("(its columns: id, city)", unknown.Message, StringComparison.Ordinal);

        var twice = await RefusedAsync(Seldon with { KeepColumns = ["id", "id"] }, Table("id", "city"));
        // Said by the options' own validation, before the input is opened.
        Assert.Contains("KeepColumns: column 'id' is named twice", twice.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kept_column_named_like_an_output_the_Open_Inference_model_declares_is_refused_before_the_first_line()
    {
        // The demo model's metadata declares one output, "features".
        await _runs.WriteInputAsync(Enumerable.Range(0, 12).Select(i => string.Create(CultureInfo.InvariantCulture, $$$"""{"inputs":[{"name":"x","shape":[1],"datatype":"INT64","data":[{{{i}}}]}]}""")));
        var v2 = Seldon.WithEndpoint(e => e with { Protocol = InferenceProtocol.V2 });

        var refused = await RefusedAsync(v2, Table("id", "features"));

        Assert.Contains("the input column 'features' is kept", refused.Message, StringComparison.Ordinal);
        Assert.Contains("the model's metadata name a prediction column so", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_kept_column_named_like_the_first_answers_column_stops_the_run_there_and_a_run_keeping_other_columns_continues_it()
    {
        const int rows = 400;
        await _runs.WriteInputAsync(SeldonLines(rows));
        var input = new MemoryTable(
            [new TableColumn("id", typeof(long)), new TableColumn("t:0", typeof(string))],
            [.. Enumerable.Range(0, rows).Select(i => new object?[] { (long)i, "mine" })]);
        var before = Predictions;

        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(
            () => _runs.RunAsync(Seldon.WithBlock(b => b with { Workers = 1 }), FakeTables.Files(input)));

        Assert.Equal(nameof(BatchOptions.KeepColumns), refused.Property);
        Assert.Contains("the input column 't:0' is kept", refused.Message, StringComparison.Ordinal);
        Assert.Contains("the model's answers name a prediction column so", refused.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("out.parquet", _runs.Files());
        // Stopped at the first answer, not at the end: fewer requests than the run has micro-batches.
        Assert.InRange(Predictions - before, 1, (rows / 4) - 1);

        var continued = await _runs.RunAsync(Seldon with { KeepColumns = ["id"] }, FakeTables.Files(input));

        Assert.Equal(RunOutcome.Completed, continued.Outcome);
        Assert.Equal(["id", "t:0", "error"], (await FakeTables.ReadAsync(_runs.Table)).Names);
    }

    [Fact]
    public async Task Columns_to_keep_with_a_JSON_lines_output_are_refused()
    {
        await _runs.WriteInputAsync(SeldonLines(3));

        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(
            Seldon with { InputDataPath = _runs.Input, OutputDataPath = _runs.PathOf("out.jsonl"), KeepColumns = ["id"] }, StorageTuning.Default, tables: FakeTables.Files()));

        Assert.Equal([nameof(BatchOptions.KeepColumns), nameof(BatchOptions.OutputFormat)], refused.Properties);
    }

    [Fact]
    public async Task Columns_to_keep_of_a_JSON_lines_input_are_refused()
    {
        await _runs.WriteInputAsync(SeldonLines(3));

        var refused = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => _runs.RunAsync(Seldon with { KeepColumns = ["id"] }, FakeTables.Files()));

        Assert.Contains("is JSON lines, which has no columns", refused.Message, StringComparison.Ordinal);
    }
}
