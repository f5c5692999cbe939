using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using Seldon.Batch.Dataflow.Tests.Fixtures;
using Seldon.Batch.Dataflow.Tests.Storage;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;
using static Seldon.Batch.Dataflow.Tests.Tables.EndToEndTables;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Issue 20's "How it is checked", run as a user runs it through <see cref="BatchRun"/> against the built-in
/// server over real sockets, the input tables written by DuckDB and the outputs read by DuckDB: REST and gRPC, Seldon
/// (ndarray, tensor) and V2 (columns, tensor), CSV, CSV.gz, TSV and Parquet in, CSV, Parquet and JSON lines out; a
/// poisoned row in a micro-batch; s3:// in and out; four shards and merge; --retry-failed; odd types kept.</summary>
[Trait("Category", "Integration")]
public sealed class EndToEndTableTests : IClassFixture<DemoServerFixture>, IClassFixture<MotoServerFixture>, IDisposable
{
    private const int Rows = 100;
    private readonly DemoServerFixture _model;
    private readonly MotoServerFixture _s3;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-e2e-table-");

    public EndToEndTableTests(DemoServerFixture model, MotoServerFixture s3)
    {
        _model = model;
        _s3 = s3;
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private BatchOptions Run(string input, string output, string transport = "rest", string layout = "ndarray", DemoModelServer? server = null)
    {
        var v2 = layout.StartsWith("v2", StringComparison.Ordinal);
        return Options(server ?? _model.Server, transport)
            .WithEndpoint(e => e with { Protocol = v2 ? InferenceProtocol.V2 : InferenceProtocol.Seldon })
            .WithBlock(b => b with { BatchSize = 8, BatchId = "e2e", PayloadType = layout == "tensor" ? PayloadType.Tensor : PayloadType.Ndarray })
            with
        {
            InputDataPath = input,
            OutputDataPath = output,
            Columns = Inputs,
            // A JSON-lines output holds the records alone: it keeps no column (and refuses KeepColumns).
            KeepColumns = output.EndsWith(".jsonl", StringComparison.Ordinal) ? null : Kept,
            V2Inputs = layout == "v2-tensor" ? V2InputLayout.Tensor : V2InputLayout.Columns,
        };
    }

    /// <summary>Each transport with each output format, each protocol with each output format, each input format at
    /// least twice, Seldon's tensor payload once.</summary>
    public static TheoryData<string, string, string, string> Matrix() => new()
    {
        { "rest", "ndarray", "in.csv", "out.parquet" },
        { "grpc", "v2-columns", "in.parquet", "out.csv" },
        { "rest", "v2-tensor", "in.csv.gz", "out.jsonl" },
        { "grpc", "ndarray", "in.tsv", "out.jsonl" },
        { "rest", "tensor", "in.parquet", "out.csv" },
        { "grpc", "v2-tensor", "in.tsv", "out.parquet" },
        { "rest", "v2-columns", "in.csv.gz", "out.parquet" },
        { "grpc", "ndarray", "in.parquet", "out.parquet" },
        { "grpc", "v2-columns", "in.csv", "out.csv" },
    };

    [Theory]
    [MemberData(nameof(Matrix))]
    public async Task A_table_scored_end_to_end_keeps_its_rows_in_order_beside_the_models_predictions(string transport, string layout, string inputName, string outputName)
    {
        var input = PathOf(inputName);
        await WriteAsync(input, Rows);
        var options = Run(input, PathOf(outputName), transport, layout);

        var summary = await BatchRun.RunAsync(options);

        Assert.True(summary.Outcome == RunOutcome.Completed, $"{summary.Outcome}: {summary.StopReason}");
        Assert.Equal(Rows, summary.Succeeded);
        Assert.Equal(Rows / 8 + 1, summary.Requests);
        if (outputName.EndsWith(".jsonl", StringComparison.Ordinal))
        {
            await AssertRecordsAsync(input, options.OutputDataPath);
            return;
        }

        await AssertScoredAsync(input, options.OutputDataPath, Kept);
        if (inputName.EndsWith(".parquet", StringComparison.Ordinal) && outputName.EndsWith(".parquet", StringComparison.Ordinal))
        {
            // A Parquet input's kept columns keep their exact types; predictions are DOUBLE.
            var kept = (await SchemaAsync(input)).Where(c => Kept.Contains(c.Name));
            Assert.Equal(kept, (await SchemaAsync(options.OutputDataPath)).Take(Kept.Length));
            Assert.Equal(
                [("t:0", "DOUBLE"), ("t:1", "DOUBLE"), ("error", "VARCHAR")],
                (await SchemaAsync(options.OutputDataPath)).Skip(Kept.Length));
        }
    }

    /// <summary>A table input to a JSON-lines output: one record per row, in order, each the model's answer for its row.</summary>
    private static async Task AssertRecordsAsync(string input, string output)
    {
        var rows = await RowsAsync(input);
        var records = await RecordsAsync(output);
        Assert.Equal(rows.Count, records.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            var record = records[r];
            var v2 = record.ContainsKey("outputs");
            Assert.Equal(r, (v2 ? record["parameters"] : record["meta"]!["tags"])!["batch_index"]!.GetValue<long>());
            IEnumerable<JsonNode?> values = v2
                ? record["outputs"]!.AsArray().SelectMany(o => o!["data"]!.AsArray())
                : record["data"]!["ndarray"]?[0]!.AsArray() ?? record["data"]!["tensor"]!["values"]!.AsArray();
            Assert.Equal([2 * rows[r]["a"]!.GetValue<double>(), 2 * rows[r]["b"]!.GetValue<double>()], values.Select(v => v!.GetValue<double>()));
        }
    }

    [Theory]
    [InlineData("rest", "in.parquet", "out.parquet", "'NaN'::DOUBLE")]
    [InlineData("grpc", "in.parquet", "out.csv", "'NaN'::DOUBLE")]
    [InlineData("rest", "in.csv", "out.parquet", "NULL")]
    [InlineData("grpc", "in.parquet", "out.parquet", "'Infinity'::DOUBLE")]
    public async Task A_null_and_a_not_a_number_in_a_micro_batch_fail_their_rows_alone(string transport, string inputName, string outputName, string poison)
    {
        // Rows 8 to 15 are one micro-batch of 8: row 11 is null, row 13 the poison; the other six are predicted.
        var input = PathOf(inputName);
        await WriteAsync(input, 24, b: $"CASE WHEN i = 11 THEN NULL WHEN i = 13 THEN {poison} ELSE (i + 0.5)::DOUBLE END");
        var options = Run(input, PathOf(outputName), transport);

        var summary = await BatchRun.RunAsync(options);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        int[] failed = [11, 13];
        Assert.Equal(failed.Length, summary.Failed);
        Assert.Equal(24 - failed.Length, summary.Succeeded);
        await AssertScoredAsync(input, options.OutputDataPath, Kept, failed.Contains);
        var errors = (await RowsAsync(options.OutputDataPath)).Select(r => r["error"]?.GetValue<string>()).ToArray();
        Assert.Contains("column 'b' of row 11 is null", errors[11], StringComparison.Ordinal);
        Assert.Contains("column 'b' of row 13", errors[13], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("in.parquet", "out.parquet")]
    [InlineData("in.csv", "out.csv")]
    public async Task A_table_is_read_from_s3_and_its_scored_table_written_there(string inputName, string outputName)
    {
        var bucket = await _s3.NewBucketAsync();
        var local = PathOf(inputName);
        await WriteAsync(local, Rows);
        await _s3.PutAsync(bucket, "in/" + inputName, await File.ReadAllBytesAsync(local));
        var reference = PathOf("reference-" + outputName);
        await BatchRun.RunAsync(Run(local, reference));

        var summary = await BatchRun.RunAsync(Run($"s3://{bucket}/in/{inputName}", $"s3://{bucket}/out/{outputName}") with { S3Endpoint = _s3.Endpoint });

        Assert.True(summary.Outcome == RunOutcome.Completed, $"{summary.Outcome}: {summary.StopReason}");
        var downloaded = PathOf("downloaded-" + outputName);
        await File.WriteAllBytesAsync(downloaded, (await _s3.GetAsync(bucket, "out/" + outputName))!);
        await AssertScoredAsync(local, downloaded, Kept);
        Assert.Equal(Json(await RowsAsync(reference)), Json(await RowsAsync(downloaded)));
    }

    private static string[] Json(IEnumerable<JsonObject> rows) => [.. rows.Select(r => r.ToJsonString())];

    [Theory]
    [InlineData("in.parquet", "out.parquet")]
    [InlineData("in.csv", "out.csv")]
    public async Task Four_shards_then_merge_write_the_table_one_run_writes(string inputName, string outputName)
    {
        var input = PathOf(inputName);
        await WriteAsync(input, 400);
        var options = Run(input, PathOf(outputName));
        var reference = PathOf("reference-" + outputName);
        await BatchRun.RunAsync(options with { OutputDataPath = reference });

        var shards = await Task.WhenAll(Enumerable.Range(0, 4).Select(k => Task.Run(() => BatchRun.RunAsync(options with { ShardCount = 4, ShardIndex = k }))));
        Assert.False(File.Exists(options.OutputDataPath), "a shard wrote the table before merge");
        var merged = await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 4 });

        Assert.All(shards, s => Assert.Equal(RunOutcome.Completed, s.Outcome));
        Assert.All(shards, s => Assert.True(s.Instances > 0, "an empty shard"));
        Assert.Equal(RunOutcome.Completed, merged.Outcome);
        await AssertScoredAsync(input, options.OutputDataPath, Kept);
        Assert.Equal(Json(await RowsAsync(reference)), Json(await RowsAsync(options.OutputDataPath)));
    }

    [Theory]
    [InlineData("in.parquet", "out.parquet")]
    [InlineData("in.csv", "out.csv")]
    public async Task The_table_a_run_writes_as_it_goes_is_byte_for_byte_the_one_its_records_make_after_it(string inputName, string outputName)
    {
        // More rows than the prediction columns are learned from; a poisoned row (b null) fails alone.
        var input = PathOf(inputName);
        await WriteAsync(input, TablePublisher.LearnAhead * 3, b: "CASE WHEN i = 2000 THEN NULL ELSE (i + 0.5)::DOUBLE END");
        var options = Run(input, PathOf(outputName));

        var run = await BatchRun.RunAsync(options);
        var asTheRunWent = await File.ReadAllBytesAsync(options.OutputDataPath);
        File.Delete(options.OutputDataPath);
        // With the records complete and the table missing, a resume writes the table from them, sending nothing.
        var fromTheRecords = await BatchRun.RunAsync(options with { Resume = true });

        Assert.Equal((RunOutcome.Completed, 1L), (run.Outcome, run.Failed));
        Assert.Equal((RunOutcome.Completed, 0L), (fromTheRecords.Outcome, fromTheRecords.Instances));
        Assert.Equal(asTheRunWent, await File.ReadAllBytesAsync(options.OutputDataPath));
        await AssertScoredAsync(input, options.OutputDataPath, Kept, r => r == 2000);
    }

    [Theory]
    [InlineData("in.parquet", "out.parquet")]
    [InlineData("in.csv", "out.csv")]
    public async Task Retry_failed_predicts_the_rows_that_failed_and_leaves_the_others(string inputName, string outputName)
    {
        // The model refuses a request holding 13: its row fails, isolated from its micro-batch's neighbours.
        await using var refusing = await DemoModelServer.StartAsync(new ServeOptions { RefuseValue = "13" });
        var input = PathOf(inputName);
        await WriteAsync(input, 40);
        var options = Run(input, PathOf(outputName));
        var first = await BatchRun.RunAsync(Run(input, options.OutputDataPath, server: refusing));
        Assert.Equal(RunOutcome.Completed, first.Outcome);
        Assert.Equal(1, first.Failed);
        await AssertScoredAsync(input, options.OutputDataPath, Kept, r => r == 13);
        var before = Json(await RowsAsync(options.OutputDataPath));

        var retried = await BatchRun.RunAsync(options with { RetryFailed = true });

        Assert.Equal(1, retried.RetriedLines);
        Assert.Equal(1, retried.FixedLines);
        await AssertScoredAsync(input, options.OutputDataPath, Kept);
        var after = Json(await RowsAsync(options.OutputDataPath));
        Assert.Equal(before.Where((_, r) => r != 13), after.Where((_, r) => r != 13));
        Assert.NotEqual(before[13], after[13]);
    }

    [Theory]
    [InlineData("out.parquet")]
    [InlineData("out.csv")]
    public async Task Nulls_and_odd_types_of_kept_columns_are_kept(string outputName)
    {
        var input = PathOf("odd.parquet");
        await DuckDb.ExecAsync($"""
            CREATE TABLE t AS SELECT
                CASE WHEN i % 3 = 1 THEN NULL ELSE (i * 1.5)::DECIMAL(18,3) END AS dec,
                CASE WHEN i % 4 = 2 THEN NULL ELSE DATE '1999-12-31' + i::INTEGER END AS day,
                CASE WHEN i % 5 = 3 THEN NULL ELSE TIMESTAMPTZ '2024-03-31 01:30:00+00' + to_hours(i) END AS tsz,
                CASE WHEN i % 6 = 4 THEN NULL ELSE i % 2 = 0 END AS flag,
                (i - 64)::TINYINT AS i8,
                (18446744073709551615 - i)::UBIGINT AS u64,
                CASE WHEN i % 7 = 5 THEN NULL ELSE 'é,"' || i || '"' END AS note,
                i::BIGINT AS a, (i + 0.5)::DOUBLE AS b
            FROM range(0, 30) r(i) ORDER BY i;
            COPY t TO {DuckDb.Literal(input)} (FORMAT parquet);
            """);
        string[] kept = ["dec", "day", "tsz", "flag", "i8", "u64", "note"];
        var options = Run(input, PathOf(outputName)) with { KeepColumns = kept };

        var summary = await BatchRun.RunAsync(options);

        Assert.True(summary.Outcome == RunOutcome.Completed, $"{summary.Outcome}: {summary.StopReason}");
        await AssertScoredAsync(input, options.OutputDataPath, kept);
        if (outputName.EndsWith(".parquet", StringComparison.Ordinal))
        {
            Assert.Equal((await SchemaAsync(input)).Take(kept.Length), (await SchemaAsync(options.OutputDataPath)).Take(kept.Length));
        }
    }

    [Theory]
    [InlineData("in.csv", "out.parquet")]
    [InlineData("in.csv", "out.csv")]
    [InlineData("in.csv.gz", "out.csv")]
    public async Task A_csv_of_a_header_alone_gives_an_empty_table(string inputName, string outputName)
    {
        var input = PathOf(inputName);
        await WriteAsync(input, 0);
        var options = Run(input, PathOf(outputName));

        var summary = await BatchRun.RunAsync(options);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(0, summary.Instances);
        Assert.Empty(await RowsAsync(options.OutputDataPath));
        // With no answer to name them, the table has no prediction columns: the kept columns and error.
        var names = (await SchemaAsync(options.OutputDataPath)).Select(c => c.Name).ToArray();
        Assert.Equal(Kept, names.Take(Kept.Length));
        Assert.Equal("error", names[^1]);
    }
}
