using System.Diagnostics;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow.Server;
using Seldon.Batch.Dataflow.Tests.Fixtures;
using static Seldon.Batch.Dataflow.Cli.Tests.CliProcess;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>Tables through the real executable, as a user makes and runs them, the tables written and read by DuckDB:
/// bad input refused with exit code 2 and a message saying what to do; a run killed with SIGKILL and started again
/// with the same command writes the table one uninterrupted run writes (and none before it completes); the examples of
/// docs/formats.md's Tables section run as written.</summary>
[Trait("Category", "Integration")]
[LongRunning(31)]
public sealed class TablesExecutableTests : IClassFixture<DemoServerFixture>, IDisposable
{
    private readonly DemoModelServer _model;
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-cli-tables-");

    public TablesExecutableTests(DemoServerFixture fixture) => _model = fixture.Server;

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    private static string[] Target(DemoModelServer model) => ["-d", "demo", "-g", "seldon", "-h", $"127.0.0.1:{model.RestPort}", "-u", "tables"];

    private async Task<string> ParquetAsync(string name, int rows, string extra = "")
    {
        var path = PathOf(name);
        await DuckDb.ExecAsync($"""
            CREATE TABLE t AS SELECT i::INTEGER AS id, (i + 0.5)::DOUBLE AS x, 'c' || i AS city{extra} FROM range(0, {rows}) r(i) ORDER BY i;
            COPY t TO {DuckDb.Literal(path)} (FORMAT parquet, ROW_GROUP_SIZE 500);
            """);
        return path;
    }

    private static async Task<string[]> RowsAsync(string path) =>
        [.. (await DuckDb.QueryAsync($"SELECT * FROM {(path.EndsWith(".parquet", StringComparison.Ordinal) ? "read_parquet" : "read_csv")}({DuckDb.Literal(path)})")).Select(r => r.ToJsonString())];

    [Fact]
    public async Task Columns_naming_a_missing_column_exit_2_listing_the_tables_columns()
    {
        var input = await ParquetAsync("in.parquet", 10);

        var (code, _, stderr) = await RunAsync([.. Target(_model), "-i", input, "-o", PathOf("out.parquet"), "--columns", "x,age"]);

        Assert.Equal(2, code);
        Assert.Contains($"--columns: the table has no column 'age'; the columns of {input} are id (int), x (double), city (string)", stderr);
        Assert.False(File.Exists(PathOf("out.parquet")));
    }

    [Theory]
    [InlineData("", "has a column named 'error', which a table output keeps for the failures' reasons")]
    [InlineData("id,error", "--keep-columns keeps the input column 'error', but a table output keeps that name for the failures' reasons")]
    public async Task A_kept_column_named_error_exits_2(string keep, string message)
    {
        var input = await ParquetAsync("in.parquet", 10, extra: ", 'none' AS error");
        string[] flags = keep.Length == 0 ? [] : ["--keep-columns", keep];

        var (code, _, stderr) = await RunAsync([.. Target(_model), "-i", input, "-o", PathOf("out.parquet"), "--columns", "x", .. flags]);

        Assert.Equal(2, code);
        Assert.Contains(message, stderr);
        Assert.False(File.Exists(PathOf("out.parquet")));
    }

    [Fact]
    public async Task A_shard_reading_the_input_in_another_format_than_its_plan_exits_2_saying_which()
    {
        var input = PathOf("in.csv");
        await File.WriteAllLinesAsync(input, ["id,x", .. Enumerable.Range(0, 40).Select(i => $"{i},{i}.5")]);
        string[] Shard(int k) => [.. Target(_model), "-i", input, "-o", PathOf("out.jsonl"), "--shard-count", "2", "--shard-index", $"{k}"];
        var first = await RunAsync([.. Shard(0), "--columns", "x"]);
        Assert.True(first.Code == 0, first.Stderr);

        var (code, _, stderr) = await RunAsync([.. Shard(1), "--input-format", "jsonl"]);

        Assert.Equal(2, code);
        Assert.Contains(
            $"cuts {input} read as csv, but this shard reads it as jsonl (--input-format): run every shard with --input-format csv, or delete the .parts folder and run every shard again",
            stderr);
        Assert.False(File.Exists(PathOf("out.jsonl.parts/part-00001-of-00002")));
    }

    [Fact]
    public async Task A_file_named_parquet_that_is_not_parquet_exits_2_naming_it()
    {
        var input = PathOf("in.parquet");
        await File.WriteAllTextAsync(input, "id,x\n1,2\n");

        var (code, _, stderr) = await RunAsync([.. Target(_model), "-i", input, "-o", PathOf("out.parquet")]);

        Assert.Equal(2, code);
        Assert.Contains(input, stderr);
        Assert.DoesNotContain("   at ", stderr);
    }

    [Fact]
    public async Task A_run_killed_with_sigkill_and_started_again_writes_the_table_of_one_run()
    {
        // A few milliseconds a request: 2,000 rows in micro-batches of 8 last long enough to be killed midway.
        await using var slow = await DemoModelServer.StartAsync(new ServeOptions { DelayMs = 5 });
        var input = await ParquetAsync("in.parquet", 2000);
        string[] Command(string output) => [.. Target(slow), "-w", "2", "-s", "8", "-i", input, "-o", output, "--columns", "x"];
        var reference = await RunAsync(Command(PathOf("reference.parquet")));
        Assert.True(reference.Code == 0, reference.Stderr);

        var output = PathOf("out.parquet");
        var side = output + ".records.jsonl.partial";
        using (var doomed = Start(Command(output)))
        {
            var deadline = Stopwatch.StartNew();
            while (!doomed.HasExited && LineCount(side) < 500)
            {
                Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(90), "the run wrote no records");
                await Task.Delay(10);
            }

            Assert.False(doomed.HasExited, "the run finished before it could be killed");
            Assert.Equal(0, Kill(doomed.Id, 9));
            await doomed.WaitForExitAsync();
        }

        Assert.False(File.Exists(output), "a killed run left a table");
        var kept = LineCount(side);
        var rerun = await RunAsync([.. Command(output), "-b"]);

        Assert.True(rerun.Code == 0, rerun.Stderr);
        Assert.Contains($"resumed lines: {kept}", rerun.Stdout);
        Assert.Equal(await RowsAsync(PathOf("reference.parquet")), await RowsAsync(output));
    }

    private static int LineCount(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var count = 0;
            int b;
            while ((b = stream.ReadByte()) >= 0)
            {
                count += b == '\n' ? 1 : 0;
            }

            return count;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    [Theory]
    [InlineData("scored.csv")]
    [InlineData("scored.parquet")]
    public async Task The_worked_example_of_the_docs_runs_as_written(string scored)
    {
        // docs/formats.md, Table outputs: flowers.csv, the command (its host the test's server), the table it shows.
        await File.WriteAllTextAsync(PathOf("flowers.csv"), "id,species,sepal_length,sepal_width\n1,setosa,5.1,3.5\n2,versicolor,7,3.2\n3,virginica,6.3,\n");
        string[] command =
        [
            "--host", $"127.0.0.1:{_model.RestPort}", "--deployment-name", "demo",
            "--input-data-path", PathOf("flowers.csv"), "--columns", "sepal_length,sepal_width",
            "--output-data-path", PathOf(scored), "--keep-columns", "id,species", "--batch-size", "2",
        ];

        var (code, _, stderr) = await RunAsync(command);

        Assert.True(code == 0, stderr);
        var rows = (await DuckDb.QueryAsync($"SELECT * FROM {(scored.EndsWith(".csv", StringComparison.Ordinal) ? "read_csv" : "read_parquet")}({DuckDb.Literal(PathOf(scored))})")).ToArray();
        Assert.Equal(3, rows.Length);
        Assert.Equal(["id", "species", "t:0", "t:1", "error"], rows[0].Select(p => p.Key));
        Assert.Equal("""{"id":1,"species":"setosa","t:0":10.2,"t:1":7,"error":null}""", rows[0].ToJsonString());
        Assert.Equal("""{"id":2,"species":"versicolor","t:0":14,"t:1":6.4,"error":null}""", rows[1].ToJsonString());
        Assert.Equal(3, rows[2]["id"]!.GetValue<int>());
        Assert.Null(rows[2]["t:0"]);
        Assert.Null(rows[2]["t:1"]);
        Assert.StartsWith("invalid row: column 'sepal_width' of row 2 is null", rows[2]["error"]!.GetValue<string>());
        var records = await File.ReadAllLinesAsync(PathOf(scored) + ".records.jsonl");
        Assert.Equal(3, records.Length);
        Assert.Equal("[[10.2,7.0]]", JsonNode.Parse(records[0])!["data"]!["ndarray"]!.ToJsonString());
        if (scored.EndsWith(".parquet", StringComparison.Ordinal))
        {
            // "id an INT64 column and species a string (their CSV types), t:0 and t:1 DOUBLE, error a string".
            var types = await DuckDb.QueryAsync($"DESCRIBE SELECT * FROM read_parquet({DuckDb.Literal(PathOf(scored))})");
            Assert.Equal(["BIGINT", "VARCHAR", "DOUBLE", "DOUBLE", "VARCHAR"], types.Select(t => t["column_type"]!.GetValue<string>()));
        }
    }
}
