using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Tests.Fixtures;

/// <summary>DuckDB, an implementation of CSV and Parquet independent of the library under test: it writes the tables
/// the tests read and reads back those the library writes. Each call runs its SQL in <c>tools/duckdb/duck.mjs</c> under
/// node (a few kept running: <see cref="DuckDbWorker"/>), in a fresh in-memory database (state does not carry between
/// calls: refer to files).
/// <c>make test</c> installs it (deploy/duckdb.sh) and names it in <c>SELDON_DUCKDB</c>; without the variable it is
/// looked for in the repository. When it cannot run, the test fails saying to run <c>make test</c>: a table test that
/// skipped silently would check nothing.</summary>
public static class DuckDb
{
    private const string Variable = "SELDON_DUCKDB";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    private static readonly Lazy<string> Script = new(FindScript);
    private static readonly ConcurrentBag<DuckDbWorker> IdleWorkers = [];

    /// <summary>Runs <paramref name="sql"/> (one or more statements separated by ';'), ignoring any rows.</summary>
    public static async Task ExecAsync(string sql) => await RunAsync(sql);

    /// <summary>Runs <paramref name="sql"/> and returns the rows of its last statement, one object per row keyed by column
    /// name: integers are numbers when a double holds them exactly, else strings; DOUBLE is a number (NaN and the
    /// infinities are strings); DECIMAL, dates and timestamps are DuckDB's text; lists are arrays; NULL is null.</summary>
    public static async Task<IReadOnlyList<JsonObject>> QueryAsync(string sql)
    {
        var output = await RunAsync(sql);
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonNode.Parse(line)!.AsObject())];
    }

    /// <summary><paramref name="value"/> as an SQL string literal (a path, a value), its quotes doubled.</summary>
    public static string Literal(string value) => "'" + value.Replace("'", "''", StringComparison.Ordinal) + "'";

    private static async Task<string> RunAsync(string sql)
    {
        // Starting node and loading DuckDB costs about 0.4 s of CPU, more than most queries: a caller takes an idle
        // worker (`duck.mjs --serve`) or starts one, and gives it back after a reply. Each script still runs in a fresh
        // in-memory database, so reuse carries no state from one call to the next.
        var worker = IdleWorkers.TryTake(out var idle) ? idle : DuckDbWorker.Start(Script.Value);
        (string Output, string? Error) reply;
        try
        {
            reply = await worker.RunAsync(sql, Timeout);
        }
        catch (TimeoutException)
        {
            worker.Dispose();
            throw new TimeoutException($"DuckDB did not finish within {Timeout.TotalMinutes} minutes: {Shorten(sql)}");
        }
        catch
        {
            worker.Dispose();
            throw;
        }

        // A script DuckDB refused leaves the worker ready for the next one.
        IdleWorkers.Add(worker);
        return reply.Error is null ? reply.Output : throw new InvalidOperationException($"DuckDB failed: {reply.Error}\nSQL: {Shorten(sql)}");
    }

    private static string Shorten(string sql) => sql.Length <= 2000 ? sql : sql[..2000] + "…";

    private static string FindScript()
    {
        var named = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrEmpty(named))
        {
            return File.Exists(named)
                ? named
                : throw new InvalidOperationException($"{Variable} names {named}, which does not exist: run `make test` (deploy/duckdb.sh prints the path)");
        }

        // Without the variable (a test run from an IDE or by `dotnet test`), the repository's copy, found from the test binary up.
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var script = Path.Combine(dir.FullName, "tools", "duckdb", "duck.mjs");
            if (!File.Exists(script))
            {
                continue;
            }

            return Directory.Exists(Path.Combine(dir.FullName, "tools", "duckdb", "node_modules", "@duckdb", "node-api"))
                ? script
                : throw new InvalidOperationException(
                    $"DuckDB is not installed in {Path.GetDirectoryName(script)}: run `make test` once (or `bash deploy/duckdb.sh`), which installs it with npm");
        }

        throw new InvalidOperationException(
            $"tools/duckdb/duck.mjs was not found above {AppContext.BaseDirectory} and {Variable} is not set: run the tests with `make test`");
    }
}
