using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Server;
using static Seldon.Batch.Dataflow.Tests.Fixtures.BatchHarness;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>A table output's run against the built-in server: its records go to <c>&lt;output&gt;.records.jsonl</c>, which
/// the lock holds and a rerun continues as it continues a JSON-lines output; the table is written from the complete
/// records after the run completed them, after a <c>--resume</c> that finds it missing or older than them, after merge
/// joined four shards' parts and after <c>--retry-failed</c> replaced them; a table that cannot be written leaves none
/// (the records stay complete, and <c>--resume</c> writes it without sending anything); an input whose rows do not match
/// the records is refused.</summary>
[Trait("Category", "Integration")]
public sealed class TableOutputRunTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private const int Rows = 20;
    private readonly DemoServerFixture _fixture;
    private readonly TableRuns _runs = new();

    public TableOutputRunTests(DemoServerFixture fixture) => _fixture = fixture;

    public void Dispose() => _runs.Dispose();

    private static string Line(int i) => string.Create(CultureInfo.InvariantCulture, $$$"""{"data":{"names":["v"],"ndarray":[[{{{i}}}]]}}""");

    private static IEnumerable<string> Lines(int count = Rows) => Enumerable.Range(0, count).Select(Line);

    private BatchOptions OptionsFor(DemoModelServer server, string transport = "rest") =>
        Options(server, transport).WithBlock(b => b with { DataType = DataType.Raw, BatchSize = 4, BatchId = "tables" });

    private long Predictions => _fixture.Server.Statistics.PredictRequests;

    /// <summary>The table holds the input's rows beside their predictions, in order (row k of the input: id k).</summary>
    private async Task AssertTableAsync(int rows = Rows, Func<int, bool>? failed = null)
    {
        var table = await FakeTables.ReadAsync(_runs.Table);
        Assert.Equal(["id", "city", "t:0", "error"], table.Names);
        Assert.Equal(rows, table.Rows.Count);
        for (var i = 0; i < rows; i++)
        {
            Assert.Equal(i, table[i, "id"]!.GetValue<long>());
            if (failed?.Invoke(i) == true)
            {
                Assert.Null(table[i, "t:0"]);
                Assert.NotNull(table[i, "error"]);
            }
            else
            {
                Assert.Equal(2.0 * i, table[i, "t:0"]!.GetValue<double>());
                Assert.Null(table[i, "error"]);
            }
        }
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task The_records_go_next_to_the_table_which_is_written_from_them_and_named_by_the_summary(string transport)
    {
        await _runs.WriteInputAsync(Lines());

        var summary = await _runs.RunAsync(OptionsFor(_fixture.Server, transport), FakeTables.Files(FakeTables.Cities(Rows)));

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(_runs.Table, summary.OutputPath);
        await AssertTableAsync();
        Assert.Equal(Rows, (await File.ReadAllLinesAsync(_runs.Records)).Length);
        // The records are a JSON-lines output as any other: its record next to it names the table it makes.
        var record = JsonNode.Parse(await File.ReadAllTextAsync(_runs.Records + ".run.json"))!;
        Assert.Equal(Rows, record["lines"]!.GetValue<long>());
        Assert.Equal("parquet", record["table"]!["format"]!.GetValue<string>());
        Assert.Equal(
            ["input.jsonl", "out.parquet", "out.parquet.records.jsonl", "out.parquet.records.jsonl.lock", "out.parquet.records.jsonl.run.json"],
            _runs.Files());
    }

    [Fact]
    public async Task A_run_that_stops_leaves_partial_records_and_no_table_and_the_next_run_continues_them_and_writes_it()
    {
        await _runs.WriteInputAsync(Lines().Select((line, i) => i == 9 ? "{not json" : line));
        var files = FakeTables.Files(FakeTables.Cities(Rows));

        var stopped = await _runs.RunAsync(OptionsFor(_fixture.Server) with { MaxFailures = FailureLimit.OfCount(0) }, files);

        Assert.Equal(RunOutcome.Stopped, stopped.Outcome);
        Assert.Equal(_runs.Records + ".partial", stopped.OutputPath);
        Assert.False(File.Exists(_runs.Table));
        Assert.False(File.Exists(_runs.Records));

        var continued = await _runs.RunAsync(OptionsFor(_fixture.Server), files);

        Assert.Equal(RunOutcome.Completed, continued.Outcome);
        Assert.True(continued.ResumedLines > 0);
        Assert.Equal(_runs.Table, continued.OutputPath);
        Assert.False(File.Exists(_runs.Records + ".partial"));
        await AssertTableAsync(failed: i => i == 9);
    }

    [Fact]
    public async Task The_log_names_the_records_where_the_lines_are_and_the_table_where_the_rows_are()
    {
        await _runs.WriteInputAsync(Lines().Select((line, i) => i == 9 ? "{not json" : line));
        var files = FakeTables.Files(FakeTables.Cities(Rows));
        using var logs = new RecordingLoggerFactory();

        await _runs.RunAsync((OptionsFor(_fixture.Server) with { MaxFailures = FailureLimit.OfCount(0) }).LoggingTo(logs), files);
        await _runs.RunAsync(OptionsFor(_fixture.Server).LoggingTo(logs), files);
        File.Delete(_runs.Table);
        await _runs.RunAsync((OptionsFor(_fixture.Server) with { Resume = true }).LoggingTo(logs), files);

        var said = logs.Messages.Select(m => m.Message).ToList();
        Assert.Contains($"The records of {_runs.Table} go to {_runs.Records}; the table is written from them once they are complete", said);
        Assert.Contains(said, m => m.StartsWith($"Processing {_runs.Input} to {_runs.Table}:", StringComparison.Ordinal));
        Assert.Contains(said, m => m.Contains($"lines are in {_runs.Records}.partial; run again with the same settings", StringComparison.Ordinal));
        Assert.Contains(said, m => m.StartsWith($"Continuing the partial output {_runs.Records}.partial of batch tables", StringComparison.Ordinal));
        Assert.Contains($"Nothing to resume: {_runs.Records} is complete, {Rows} lines for the {Rows} lines of the input", said);
        Assert.Equal(2, said.Count(m => m == $"Writing the table {_runs.Table} from its complete records {_runs.Records}"));
        Assert.Equal(2, said.Count(m => m == $"Wrote the table {_runs.Table}: {Rows} rows"));
    }

    [Fact]
    public async Task A_second_run_is_refused_by_the_lock_on_the_records()
    {
        await _runs.WriteInputAsync(Lines());
        using var store = new ObjectStore(null);
        await using var held = await OutputLock.AcquireAsync(StorageLocation.Parse(_runs.Records), store, "other", TimeProvider.System, NullLogger.Instance, CancellationToken.None);
        var before = Predictions;

        var refused = await Assert.ThrowsAsync<OutputInUseException>(() => _runs.RunAsync(OptionsFor(_fixture.Server), FakeTables.Files(FakeTables.Cities(Rows))));

        Assert.Equal(_runs.Records, refused.Output);
        Assert.StartsWith($"{_runs.Records} is being written by another run", refused.Message, StringComparison.Ordinal);
        Assert.Equal(before, Predictions);
        Assert.False(File.Exists(_runs.Table));
    }

    [Fact]
    public async Task Resume_writes_a_missing_table_or_one_older_than_its_records_without_sending_anything_and_keeps_one_up_to_date()
    {
        await _runs.WriteInputAsync(Lines());
        var files = FakeTables.Files(FakeTables.Cities(Rows));
        Assert.Equal(RunOutcome.Completed, (await _runs.RunAsync(OptionsFor(_fixture.Server), files)).Outcome);
        var sent = Predictions;

        File.Delete(_runs.Table);
        var missing = await _runs.RunAsync(OptionsFor(_fixture.Server) with { Resume = true }, files);

        Assert.Equal(RunOutcome.Completed, missing.Outcome);
        Assert.Equal(_runs.Table, missing.OutputPath);
        await AssertTableAsync();

        File.WriteAllText(_runs.Table, "an older table");
        File.SetLastWriteTimeUtc(_runs.Table, File.GetLastWriteTimeUtc(_runs.Records).AddMinutes(-1));
        var older = await _runs.RunAsync(OptionsFor(_fixture.Server) with { Resume = true }, files);

        Assert.Equal(RunOutcome.Completed, older.Outcome);
        await AssertTableAsync();

        var written = File.GetLastWriteTimeUtc(_runs.Table).AddMinutes(1);
        File.SetLastWriteTimeUtc(_runs.Table, written);
        var upToDate = await _runs.RunAsync(OptionsFor(_fixture.Server) with { Resume = true }, files);

        Assert.Equal(RunOutcome.Completed, upToDate.Outcome);
        Assert.Equal(_runs.Table, upToDate.OutputPath);
        Assert.Equal(written, File.GetLastWriteTimeUtc(_runs.Table));
        Assert.Equal(sent, Predictions);
    }

    [Fact]
    public async Task A_table_that_cannot_be_written_leaves_none_and_a_resume_writes_it_without_sending_anything()
    {
        await _runs.WriteInputAsync(Lines());

        var failed = await _runs.RunAsync(OptionsFor(_fixture.Server), FakeTables.Files(FakeTables.Cities(Rows), failAfterRows: 7));

        Assert.Equal(RunOutcome.Stopped, failed.Outcome);
        Assert.Contains($"the table {_runs.Table} could not be written", failed.StopReason, StringComparison.Ordinal);
        Assert.Contains("the disk is full", failed.StopReason, StringComparison.Ordinal);
        Assert.Contains($"its records {_runs.Records} are complete", failed.StopReason, StringComparison.Ordinal);
        Assert.Contains("run again with Resume", failed.StopReason, StringComparison.Ordinal);
        Assert.Equal(_runs.Records, failed.OutputPath);
        Assert.DoesNotContain("out.parquet", _runs.Files());
        Assert.DoesNotContain("out.parquet.tmp", _runs.Files());
        Assert.Equal(Rows, (await File.ReadAllLinesAsync(_runs.Records)).Length);
        var sent = Predictions;

        var resumed = await _runs.RunAsync(OptionsFor(_fixture.Server) with { Resume = true }, FakeTables.Files(FakeTables.Cities(Rows)));

        Assert.Equal(RunOutcome.Completed, resumed.Outcome);
        Assert.Equal(_runs.Table, resumed.OutputPath);
        Assert.Equal(sent, Predictions);
        await AssertTableAsync();
    }

    [Fact]
    public async Task A_table_that_cannot_be_written_leaves_the_one_before_in_place()
    {
        await _runs.WriteInputAsync(Lines());
        Assert.Equal(RunOutcome.Completed, (await _runs.RunAsync(OptionsFor(_fixture.Server), FakeTables.Files(FakeTables.Cities(Rows)))).Outcome);
        var before = await File.ReadAllTextAsync(_runs.Table);

        var failed = await _runs.RunAsync(OptionsFor(_fixture.Server), FakeTables.Files(FakeTables.Cities(Rows), failAfterRows: 0));

        Assert.Equal(RunOutcome.Stopped, failed.Outcome);
        Assert.Equal(before, await File.ReadAllTextAsync(_runs.Table));
        Assert.DoesNotContain("out.parquet.tmp", _runs.Files());
    }

    [Theory]
    [InlineData(Rows - 3)]
    [InlineData(Rows + 3)]
    public async Task An_input_whose_rows_do_not_match_the_records_is_refused_and_no_table_written(int inputRows)
    {
        await _runs.WriteInputAsync(Lines());

        var summary = await _runs.RunAsync(OptionsFor(_fixture.Server), FakeTables.Files(FakeTables.Cities(inputRows)));

        Assert.Equal(RunOutcome.Stopped, summary.Outcome);
        Assert.Contains(
            inputRows < Rows ? $"has {inputRows} rows but {_runs.Records} holds {Rows} records" : $"has more than {Rows} rows but {_runs.Records} holds {Rows} records",
            summary.StopReason,
            StringComparison.Ordinal);
        Assert.DoesNotContain("out.parquet", _runs.Files());
        Assert.DoesNotContain("out.parquet.tmp", _runs.Files());
    }

    [Theory]
    [InlineData("rest")]
    [InlineData("grpc")]
    public async Task Four_shards_write_parts_of_records_and_merge_joins_them_and_writes_the_table(string transport)
    {
        const int rows = 50;
        await _runs.WriteInputAsync(Lines(rows));
        var files = FakeTables.Files(FakeTables.Cities(rows));
        var shards = await Task.WhenAll(Enumerable.Range(0, 4).Select(k =>
            BatchRun.RunAsync(_runs.Over(OptionsFor(_fixture.Server, transport)) with { ShardCount = 4, ShardIndex = k }, StorageTuning.Default, tables: files)));
        Assert.All(shards, s => Assert.Equal(RunOutcome.Completed, s.Outcome));
        Assert.False(File.Exists(_runs.Table));
        Assert.False(File.Exists(_runs.Records));

        var merged = await BatchRun.MergeAsync(new MergeOptions { OutputDataPath = _runs.Table }, StorageTuning.Default, tables: files);

        Assert.Equal(RunOutcome.Completed, merged.Outcome);
        Assert.Equal(_runs.Table, merged.OutputPath);
        Assert.Equal(rows, merged.Instances);
        Assert.Equal(rows, (await File.ReadAllLinesAsync(_runs.Records)).Length);
        Assert.True(Directory.Exists(_runs.Table + ".parts"));
        await AssertTableAsync(rows);
    }

    [Fact]
    public async Task Retry_failed_replaces_the_records_and_the_table_is_written_anew()
    {
        await _runs.WriteInputAsync(Lines());
        var files = FakeTables.Files(FakeTables.Cities(Rows));
        await using (var refusing = await DemoModelServer.StartAsync(new ServeOptions { RefuseValue = "13", RefuseStatus = 400 }))
        {
            var first = await _runs.RunAsync(OptionsFor(refusing), files);
            Assert.Equal(RunOutcome.Completed, first.Outcome);
            Assert.Equal(1, first.Failed);
            await AssertTableAsync(failed: i => i == 13);
        }

        var retried = await _runs.RunAsync(OptionsFor(_fixture.Server) with { RetryFailed = true }, files);

        Assert.Equal(RunOutcome.Completed, retried.Outcome);
        Assert.Equal(1, retried.FixedLines);
        Assert.Equal(_runs.Table, retried.OutputPath);
        await AssertTableAsync();
        Assert.DoesNotContain("out.parquet.records.jsonl.retry", _runs.Files());
    }

    [Fact]
    public async Task A_table_written_as_the_run_goes_is_the_table_its_records_make_after_the_run()
    {
        // More rows than the columns are learned from, and a failed row among them.
        const int rows = TablePublisher.LearnAhead * 3;
        await _runs.WriteInputAsync(Lines(rows).Select((line, i) => i == 1500 ? "{not json" : line));
        var files = FakeTables.Files(FakeTables.Cities(rows));
        using var logs = new RecordingLoggerFactory();

        var summary = await _runs.RunAsync(OptionsFor(_fixture.Server).LoggingTo(logs), files);
        var asTheRunWent = await File.ReadAllBytesAsync(_runs.Table);
        File.Delete(_runs.Table);
        var fromTheRecords = await _runs.RunAsync((OptionsFor(_fixture.Server) with { Resume = true }).LoggingTo(logs), files);

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        Assert.Equal(_runs.Table, summary.OutputPath);
        Assert.Equal(RunOutcome.Completed, fromTheRecords.Outcome);
        var said = logs.Messages.Select(m => m.Message).ToList();
        Assert.Equal([$"Wrote the table {_runs.Table} as the run went: {rows} rows"], said.Where(m => m.Contains("as the run went", StringComparison.Ordinal)));
        Assert.Equal([$"Writing the table {_runs.Table} from its complete records {_runs.Records}"], said.Where(m => m.StartsWith("Writing the table", StringComparison.Ordinal)));
        Assert.Equal(asTheRunWent, await File.ReadAllBytesAsync(_runs.Table));
        await AssertTableAsync(rows, failed: i => i == 1500);
        Assert.DoesNotContain("out.parquet.tmp", _runs.Files());
    }

    [Fact]
    public async Task A_record_after_the_first_ones_with_a_new_column_leaves_the_table_to_be_written_from_the_records()
    {
        const int rows = TablePublisher.LearnAhead * 2;
        const int late = TablePublisher.LearnAhead + 100;
        // Two values in one line: its answer has a second column, t:1, which the first records did not have.
        await _runs.WriteInputAsync(Lines(rows).Select((line, i) => i == late ? """{"data":{"names":["v","w"],"ndarray":[[1, 2]]}}""" : line));
        using var logs = new RecordingLoggerFactory();

        var summary = await _runs.RunAsync(OptionsFor(_fixture.Server).LoggingTo(logs), FakeTables.Files(FakeTables.Cities(rows)));

        Assert.Equal(RunOutcome.Completed, summary.Outcome);
        var said = logs.Messages.Select(m => m.Message).ToList();
        Assert.Contains(
            $"The table {_runs.Table} is written from its records once they are complete, not as the run goes: record {late} has a column or a type the first records did not have",
            said);
        Assert.Contains($"Writing the table {_runs.Table} from its complete records {_runs.Records}", said);
        var table = await FakeTables.ReadAsync(_runs.Table);
        Assert.Equal(["id", "city", "t:0", "t:1", "error"], table.Names);
        Assert.Equal(rows, table.Rows.Count);
        Assert.Equal((2.0, 4.0), (table[late, "t:0"]!.GetValue<double>(), table[late, "t:1"]!.GetValue<double>()));
        Assert.Null(table[late + 1, "t:1"]);
        Assert.Equal(2.0 * (late + 1), table[late + 1, "t:0"]!.GetValue<double>());
        Assert.DoesNotContain("out.parquet.tmp", _runs.Files());
    }
}
