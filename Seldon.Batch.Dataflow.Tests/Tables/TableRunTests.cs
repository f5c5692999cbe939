using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Fixtures;
using Seldon.Batch.Dataflow.Tests.Storage;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Table inputs written by DuckDB, run end to end against the built-in server: one record per row in row order
/// over REST and gRPC, Seldon and V2 (columns and tensor); a null row failing alone; columns refused before any request;
/// a resume continuing by row number and refusing other columns; four shards and merge equal to one run; an s3:// input.</summary>
[Trait("Category", "Integration")]
public sealed class TableRunTests : IClassFixture<DemoServerFixture>, IClassFixture<MotoServerFixture>, IDisposable
{
    private const int Rows = 5000;
    private const int NullRow = 5;
    private readonly DemoServerFixture _model;
    private readonly MotoServerFixture _s3;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-table-run-");

    public TableRunTests(DemoServerFixture model, MotoServerFixture s3)
    {
        _model = model;
        _s3 = s3;
    }

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    /// <summary>Rows r = 0…n-1: id 'r-r' (text), a = r (BIGINT), b = r + 0.5 (DOUBLE; null in row 5), in row groups of
    /// 2048 rows, written by DuckDB.</summary>
    private async Task<string> ParquetAsync(string name = "in.parquet", int rows = Rows, string extra = "")
    {
        var path = PathOf(name);
        await DuckDb.ExecAsync($"""
            CREATE TABLE t AS SELECT 'r-' || i AS id, i::BIGINT AS a, CASE WHEN i = {NullRow} THEN NULL ELSE (i + 0.5)::DOUBLE END AS b{extra} FROM range(0, {rows}) r(i) ORDER BY i;
            COPY t TO {DuckDb.Literal(path)} (FORMAT parquet, ROW_GROUP_SIZE 2048);
            """);
        return path;
    }

    private BatchOptions Run(string input, string transport = "rest", InferenceProtocol protocol = InferenceProtocol.Seldon) =>
        Options(_model.Server, transport).WithEndpoint(e => e with { Protocol = protocol }).WithBlock(b => b with { BatchSize = 32 })
            with
        { InputDataPath = input, OutputDataPath = PathOf("out.jsonl"), Columns = ["a", "b"] };

    public static TheoryData<string, string> Layouts() => new()
    {
        { "rest", "ndarray" }, { "grpc", "ndarray" }, { "rest", "tensor" },
        { "rest", "v2-columns" }, { "grpc", "v2-columns" }, { "rest", "v2-tensor" }, { "grpc", "v2-tensor" },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public async Task Every_row_of_a_Parquet_file_has_its_record_in_order(string transport, string layout)
    {
        var v2 = layout.StartsWith("v2", StringComparison.Ordinal);
        var options = Run(await ParquetAsync(), transport, v2 ? InferenceProtocol.V2 : InferenceProtocol.Seldon)
            .WithBlock(b => b with { PayloadType = layout == "tensor" ? PayloadType.Tensor : PayloadType.Ndarray })
            with
        { V2Inputs = layout == "v2-tensor" ? V2InputLayout.Tensor : V2InputLayout.Columns };

        var summary = await BatchRun.RunAsync(options);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(Rows - 1, summary.Succeeded);
        Assert.Equal(1, summary.Failed);
        Assert.Equal(1, summary.FailuresByKind["invalid row"]);
        Assert.Equal((Rows + 31) / 32, summary.Requests);
        var lines = await File.ReadAllLinesAsync(options.OutputDataPath);
        Assert.Equal(Rows, lines.Length);
        for (var r = 0; r < Rows; r++)
        {
            var record = JsonNode.Parse(lines[r])!.AsObject();
            var tags = (v2 ? record["parameters"] : record["meta"]!["tags"])!;
            Assert.Equal(r, tags["batch_index"]!.GetValue<long>());
            if (r == NullRow)
            {
                Assert.Contains("invalid row: column 'b' of row 5 is null", lines[r], StringComparison.Ordinal);
                continue;
            }

            var values = layout switch
            {
                "ndarray" => record["data"]!["ndarray"]![0]!.AsArray().Select(v => v!.GetValue<double>()),
                "tensor" => record["data"]!["tensor"]!["values"]!.AsArray().Select(v => v!.GetValue<double>()),
                "v2-columns" => record["outputs"]!.AsArray().Select(o => o!["data"]![0]!.GetValue<double>()),
                _ => record["outputs"]![0]!["data"]!.AsArray().Select(v => v!.GetValue<double>()),
            };
            Assert.Equal([2.0 * r, (2.0 * r) + 1], values);
        }
    }

    [Fact]
    public async Task A_column_the_table_lacks_is_refused_before_any_request_listing_the_columns()
    {
        var before = _model.Server.Statistics.Requests;
        var options = Run(await ParquetAsync(rows: 10)) with { Columns = ["a", "age"] };

        var ex = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options));

        Assert.Equal($"Columns: the table has no column 'age'; the columns of {options.InputDataPath} are id (string), a (long), b (double)", ex.Message);
        Assert.Equal(nameof(BatchOptions.Columns), ex.Property);
        Assert.Equal(before, _model.Server.Statistics.Requests);
        Assert.False(File.Exists(options.OutputDataPath + ".partial"));
    }

    [Fact]
    public async Task A_list_column_sent_by_default_is_refused_naming_it()
    {
        var options = Run(await ParquetAsync(rows: 10, extra: ", [i, i + 1] AS pair")) with { Columns = null };

        var ex = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options));

        Assert.StartsWith("Columns: column 'pair' holds a list, which cannot be a model input", ex.Message);
        Assert.Contains("(every column is sent when none are named); the columns of", ex.Message);
        Assert.EndsWith("pair (list)", ex.Message);
    }

    /// <summary>Leaves what an interrupted run leaves: the first <paramref name="kept"/> records of a complete output (and
    /// half of the next one), and the record of what they were made from.</summary>
    private static void Interrupt(string output, int kept)
    {
        var lines = File.ReadAllLines(output);
        File.WriteAllText(output + ".partial", string.Concat(lines.Take(kept).Select(l => l + "\n")) + lines[kept][..10]);
        File.Move(output + ".run.json", output + ".partial.json");
        File.Delete(output);
    }

    [Fact]
    public async Task A_resumed_table_run_continues_by_row_number_and_writes_what_one_run_writes()
    {
        var options = Run(await ParquetAsync()).WithBlock(b => b with { BatchId = "table-resume" });
        await BatchRun.RunAsync(options);
        var reference = (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(ObjectStorageTests.WithoutInstanceId).ToArray();
        Interrupt(options.OutputDataPath, 3000);
        var before = _model.Server.Statistics.Requests;

        var resumed = await BatchRun.RunAsync(options);

        Assert.Equal(RunOutcome.Completed, resumed.Outcome);
        Assert.Equal(3000, resumed.ResumedLines);
        // Row 3000 is in the micro-batch of rows 2976 to 3007, which goes again whole.
        Assert.Equal((Rows - 2976 + 31) / 32, _model.Server.Statistics.Requests - before);
        Assert.Equal(reference, (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(ObjectStorageTests.WithoutInstanceId).ToArray());
    }

    [Fact]
    public async Task A_partial_output_of_other_columns_is_refused_and_left_as_it_is()
    {
        var options = Run(await ParquetAsync(rows: 200));
        await BatchRun.RunAsync(options);
        Interrupt(options.OutputDataPath, 50);
        var partial = await File.ReadAllBytesAsync(options.OutputDataPath + ".partial");

        var ex = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options with { Columns = ["b", "a"] }));

        Assert.Equal($"{options.OutputDataPath}.partial holds a partial output made with other settings (Columns a,b, not b,a): delete it or pass Restart to discard it", ex.Message);
        Assert.Equal(partial, await File.ReadAllBytesAsync(options.OutputDataPath + ".partial"));
    }

    [Fact]
    public async Task Four_shards_of_a_Parquet_file_then_merge_write_what_one_run_writes()
    {
        var options = Run(await ParquetAsync()).WithBlock(b => b with { BatchId = "table-shards" });
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.jsonl") });

        var shards = await Task.WhenAll(Enumerable.Range(0, 4).Select(k => Task.Run(() => BatchRun.RunAsync(options with { ShardCount = 4, ShardIndex = k }))));
        var merged = await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 4 });

        Assert.All(shards, s => Assert.Equal(RunOutcome.Completed, s.Outcome));
        // Rows 0-1280, 1280-2528, 2528-3776, 3776-5000: each shard starts on a multiple of 32 at or after its even quarter.
        Assert.Equal([1280, 1248, 1248, 1224], shards.Select(s => s.Instances));
        Assert.Equal(RunOutcome.Completed, merged.Outcome);
        Assert.Equal(
            (await File.ReadAllLinesAsync(PathOf("reference.jsonl"))).Select(ObjectStorageTests.WithoutInstanceId),
            (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(ObjectStorageTests.WithoutInstanceId));
    }

    [Fact]
    public async Task A_Parquet_object_is_read_from_s3()
    {
        var bucket = await _s3.NewBucketAsync();
        var local = await ParquetAsync();
        await _s3.PutAsync(bucket, "t/in.parquet", await File.ReadAllBytesAsync(local));
        var options = Run(local).WithBlock(b => b with { BatchId = "table-s3" });
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.jsonl") });

        var summary = await BatchRun.RunAsync(options with { InputDataPath = $"s3://{bucket}/t/in.parquet", S3Endpoint = _s3.Endpoint });

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(
            (await File.ReadAllLinesAsync(PathOf("reference.jsonl"))).Select(ObjectStorageTests.WithoutInstanceId),
            (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(ObjectStorageTests.WithoutInstanceId));
    }

    /// <summary>The rows of <see cref="ParquetAsync"/> as CSV written by DuckDB (a header; the null an empty field; the
    /// ids quoted where DuckDB quotes them), gzip when the name ends in .gz.</summary>
    private async Task<string> CsvAsync(string name = "in.csv", int rows = Rows)
    {
        var path = PathOf(name);
        var gzip = name.EndsWith(".gz", StringComparison.Ordinal) ? ", COMPRESSION gzip" : "";
        var delimiter = name.Contains(".tsv", StringComparison.Ordinal) ? ", DELIMITER '\t'" : "";
        await DuckDb.ExecAsync($"""
            CREATE TABLE t AS SELECT 'r-' || i || CASE WHEN i % 7 = 3 THEN ', "quoted"' || chr(10) || 'line' ELSE '' END AS id, i::BIGINT AS a,
                CASE WHEN i = {NullRow} THEN NULL ELSE (i + 0.5)::DOUBLE END AS b FROM range(0, {rows}) r(i) ORDER BY i;
            COPY t TO {DuckDb.Literal(path)} (FORMAT csv, HEADER{gzip}{delimiter});
            """);
        return path;
    }

    [Theory]
    [InlineData("in.csv", "rest")]
    [InlineData("in.csv.gz", "grpc")]
    [InlineData("in.tsv", "rest")]
    public async Task Every_row_of_a_CSV_file_has_its_record_in_order(string name, string transport)
    {
        var options = Run(await CsvAsync(name), transport);

        var summary = await BatchRun.RunAsync(options);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(Rows - 1, summary.Succeeded);
        Assert.Equal((Rows + 31) / 32, summary.Requests);
        var lines = await File.ReadAllLinesAsync(options.OutputDataPath);
        Assert.Equal(Rows, lines.Length);
        for (var r = 0; r < Rows; r++)
        {
            var record = JsonNode.Parse(lines[r])!.AsObject();
            Assert.Equal(r, record["meta"]!["tags"]!["batch_index"]!.GetValue<long>());
            if (r != NullRow)
            {
                Assert.Equal([2.0 * r, (2.0 * r) + 1], record["data"]!["ndarray"]![0]!.AsArray().Select(v => v!.GetValue<double>()));
            }
        }

        Assert.Contains("invalid row: column 'b' of row 5 is null", lines[NullRow], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_text_in_a_CSV_column_of_numbers_fails_its_row_alone()
    {
        var path = PathOf("odd.csv");
        var rows = Enumerable.Range(0, 1500).Select(r => r == 1200 ? "1200,abc" : $"{r},{r}.5");
        await File.WriteAllTextAsync(path, "a,b\n" + string.Join("\n", rows) + "\n");

        var summary = await BatchRun.RunAsync(Run(path).WithBlock(b => b with { BatchSize = 4 }));

        Assert.Equal(1499, summary.Succeeded);
        var lines = await File.ReadAllLinesAsync(PathOf("out.jsonl"));
        Assert.Contains("invalid row: column 'b' of row 1200 is 'abc', not a number as the column's values are", lines[1200], StringComparison.Ordinal);
        Assert.Equal(375, summary.Requests);
    }

    [Fact]
    public async Task A_resumed_CSV_run_continues_by_row_number_and_writes_what_one_run_writes()
    {
        var options = Run(await CsvAsync()).WithBlock(b => b with { BatchId = "csv-resume" });
        await BatchRun.RunAsync(options);
        var reference = (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(ObjectStorageTests.WithoutInstanceId).ToArray();
        Interrupt(options.OutputDataPath, 3000);

        var resumed = await BatchRun.RunAsync(options);

        Assert.Equal(3000, resumed.ResumedLines);
        Assert.Equal(Rows - 2976, resumed.Instances + (3000 - 2976));
        Assert.Equal(reference, (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(ObjectStorageTests.WithoutInstanceId).ToArray());
    }

    [Theory]
    [InlineData("in.csv")]
    [InlineData("in.csv.gz")]
    public async Task Four_shards_of_a_CSV_file_then_merge_write_what_one_run_writes(string name)
    {
        var options = Run(await CsvAsync(name)).WithBlock(b => b with { BatchId = "csv-shards" });
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.jsonl") });

        var shards = await Task.WhenAll(Enumerable.Range(0, 4).Select(k => Task.Run(() => BatchRun.RunAsync(options with { ShardCount = 4, ShardIndex = k }))));
        var merged = await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 4 });

        Assert.All(shards, s => Assert.Equal(RunOutcome.Completed, s.Outcome));
        Assert.All(shards, s => Assert.True(s.Instances > 1000, $"a shard of {s.Instances} rows"));
        Assert.Equal(RunOutcome.Completed, merged.Outcome);
        Assert.Equal(
            (await File.ReadAllLinesAsync(PathOf("reference.jsonl"))).Select(ObjectStorageTests.WithoutInstanceId),
            (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(ObjectStorageTests.WithoutInstanceId));
    }

    [Fact]
    public async Task A_shard_or_merge_reading_the_input_in_another_format_than_its_plan_is_refused_and_a_plan_without_one_still_serves()
    {
        var options = Run(await CsvAsync()).WithBlock(b => b with { BatchId = "csv-format" });
        var plan = PathOf("out.jsonl.parts/plan-of-00002.json");
        Assert.Equal(RunOutcome.Completed, (await BatchRun.RunAsync(options with { ShardCount = 2, ShardIndex = 0 })).Outcome);
        Assert.Equal("csv", JsonNode.Parse(await File.ReadAllTextAsync(plan))!["input_format"]!.GetValue<string>());

        // The same file read as JSON lines: its byte ranges would be cut at lines, not at the CSV's records.
        var asLines = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() =>
            BatchRun.RunAsync(options with { InputFormat = TableFormat.JsonLines, Columns = null, ShardCount = 2, ShardIndex = 1 }));

        Assert.Equal(
            $"{plan} cuts {options.InputDataPath} read as csv, but this shard reads it as jsonl (InputFormat): run every shard with InputFormat csv, or delete the .parts folder and run every shard again",
            asLines.Message);
        Assert.False(File.Exists(PathOf("out.jsonl.parts/part-00001-of-00002")));
        Assert.False(File.Exists(PathOf("out.jsonl.parts/part-00001-of-00002.partial")));

        // A plan of an older version does not say: any format is taken to match it.
        var json = JsonNode.Parse(await File.ReadAllTextAsync(plan))!.AsObject();
        json.Remove("input_format");
        await File.WriteAllTextAsync(plan, json.ToJsonString());
        Assert.Equal(RunOutcome.Completed, (await BatchRun.RunAsync(options with { ShardCount = 2, ShardIndex = 1 })).Outcome);
        Assert.Equal(RunOutcome.Completed, (await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 2 })).Outcome);

        // Parts whose records say they read the input otherwise than the plan cuts it are not merged.
        json["input_format"] = "parquet";
        await File.WriteAllTextAsync(plan, json.ToJsonString());
        var merge = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.MergeAsync(new MergeOptions { OutputDataPath = options.OutputDataPath, ShardCount = 2 }));

        Assert.Equal(
            $"{PathOf("out.jsonl.parts/part-00000-of-00002")} was written from {options.InputDataPath} read as csv, but the shard plan {plan} cuts it read as parquet: " +
            "the part does not hold the rows the plan gives shard 0; delete the .parts folder and run every shard again with one InputFormat",
            merge.Message);
    }

    [Fact]
    public async Task A_CSV_object_is_read_from_s3()
    {
        var bucket = await _s3.NewBucketAsync();
        var local = await CsvAsync("in.csv.gz");
        await _s3.PutAsync(bucket, "t/in.csv.gz", await File.ReadAllBytesAsync(local));
        var options = Run(local).WithBlock(b => b with { BatchId = "csv-s3" });
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.jsonl") });

        var summary = await BatchRun.RunAsync(options with { InputDataPath = $"s3://{bucket}/t/in.csv.gz", S3Endpoint = _s3.Endpoint, ShardCount = 1 });

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(
            (await File.ReadAllLinesAsync(PathOf("reference.jsonl"))).Select(ObjectStorageTests.WithoutInstanceId),
            (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(ObjectStorageTests.WithoutInstanceId));
    }

    [Fact]
    public async Task A_partial_CSV_output_of_other_columns_is_refused_and_left_as_it_is()
    {
        var options = Run(await CsvAsync(rows: 200));
        await BatchRun.RunAsync(options);
        Interrupt(options.OutputDataPath, 50);
        var partial = await File.ReadAllBytesAsync(options.OutputDataPath + ".partial");

        var ex = await Assert.ThrowsAsync<InvalidBatchOptionsException>(() => BatchRun.RunAsync(options with { Columns = ["b", "a"] }));

        Assert.Equal($"{options.OutputDataPath}.partial holds a partial output made with other settings (Columns a,b, not b,a): delete it or pass Restart to discard it", ex.Message);
        Assert.Equal(partial, await File.ReadAllBytesAsync(options.OutputDataPath + ".partial"));
    }

    [Fact]
    public async Task Retry_failed_sends_the_failed_rows_of_a_CSV_input_again()
    {
        await using var refusing = await Seldon.Batch.Dataflow.Server.DemoModelServer.StartAsync(new Seldon.Batch.Dataflow.Server.ServeOptions { RefuseValue = "13" });
        var input = await CsvAsync(rows: 300);
        var options = Run(input).WithBlock(b => b with { BatchId = "csv-retry", BatchSize = 8 });
        await BatchRun.RunAsync(options with { OutputDataPath = PathOf("reference.jsonl") });
        var first = await BatchRun.RunAsync(options.WithEndpoint(e => e with { Host = $"127.0.0.1:{refusing.RestPort}" }));
        // Row 13 (a = 13) is refused, and the null row 5 cannot be sent.
        Assert.Equal(2, first.Failed);

        var retried = await BatchRun.RunAsync(options with { RetryFailed = true });

        Assert.Equal(2, retried.RetriedLines);
        Assert.Equal(1, retried.FixedLines);
        Assert.Equal(
            (await File.ReadAllLinesAsync(PathOf("reference.jsonl"))).Select(ObjectStorageTests.WithoutInstanceId),
            (await File.ReadAllLinesAsync(options.OutputDataPath)).Select(ObjectStorageTests.WithoutInstanceId));
    }

    [Theory]
    [InlineData("in.parquet", null)]
    [InlineData("in.parquet", "id")]
    [InlineData("in.csv", "b,id")]
    public async Task A_table_written_as_the_run_goes_takes_the_kept_values_the_run_read_and_is_the_table_its_records_make(string name, string? keep)
    {
        var input = name.EndsWith(".parquet", StringComparison.Ordinal) ? await ParquetAsync(name) : await CsvAsync(name);
        var table = PathOf("out.parquet");
        var options = Run(input) with { OutputDataPath = table, KeepColumns = keep?.Split(',') };
        long rowsReadForTheTable = 0;
        var files = new TableFiles(
            async (source, version, format, ct) => new CountingReader(await TableFiles.Default.OpenInput(source, version, format, ct), () => Interlocked.Increment(ref rowsReadForTheTable)),
            TableFiles.Default.CreateWriter);
        using var logs = new RecordingLoggerFactory();

        var summary = await BatchRun.RunAsync(options.LoggingTo(logs), StorageTuning.Default, tables: files);
        var readAsTheRunWent = Interlocked.Read(ref rowsReadForTheTable);
        var asTheRunWent = await File.ReadAllBytesAsync(table);
        File.Delete(table);
        var fromTheRecords = await BatchRun.RunAsync((options with { Resume = true }).LoggingTo(logs), StorageTuning.Default, tables: files);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Contains($"Wrote the table {table} as the run went: {Rows} rows", logs.Messages.Select(m => m.Message));
        // The run's own reader handed the table its kept values: no row was read again for it (the table written from the
        // records afterwards reads the input itself).
        Assert.Equal(0, readAsTheRunWent);
        Assert.Equal(RunOutcome.Completed, fromTheRecords.Outcome);
        Assert.Equal(Rows, Interlocked.Read(ref rowsReadForTheTable));
        Assert.Equal(asTheRunWent, await File.ReadAllBytesAsync(table));
        var kept = keep?.Split(',') ?? ["id", "a", "b"];
        var rows = await DuckDb.QueryAsync($"SELECT * FROM read_parquet({DuckDb.Literal(table)})");
        Assert.Equal([.. kept, "t:0", "t:1", "error"], rows[0].Select(p => p.Key));
        Assert.Equal(Rows, rows.Count);
        foreach (var r in new[] { 0, 3, NullRow, 1500, Rows - 1 })
        {
            Assert.StartsWith($"r-{r}", (string)rows[r]["id"]!, StringComparison.Ordinal);
            Assert.Equal(r == NullRow, rows[r]["error"] is not null);
        }
    }

    /// <summary>A table's reader that tells of each row read through it.</summary>
    private sealed class CountingReader(ITableReader reader, Action read) : ITableReader
    {
        public IReadOnlyList<TableColumn> Columns => reader.Columns;

        public async IAsyncEnumerable<object?[]> ReadAsync(IReadOnlyList<int> columns, long skip, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
        {
            await foreach (var row in reader.ReadAsync(columns, skip, ct).ConfigureAwait(false))
            {
                read();
                yield return row;
            }
        }

        public ValueTask DisposeAsync() => reader.DisposeAsync();
    }
}
