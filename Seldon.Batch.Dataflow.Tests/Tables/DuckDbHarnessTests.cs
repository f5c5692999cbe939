namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The DuckDB harness itself: a table written to a file and read back keeps its values and their types, and a
/// failing statement fails the test with DuckDB's message (a checker that failed quietly would pass anything).</summary>
[Trait("Category", "Integration")]
public sealed class DuckDbHarnessTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("sbd-duckdb-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string PathOf(string name) => Path.Combine(_dir.FullName, name);

    [Theory]
    [InlineData("t.parquet", "(FORMAT parquet)", "read_parquet")]
    [InlineData("t.csv", "(FORMAT csv, HEADER)", "read_csv")]
    public async Task A_table_written_to_a_file_reads_back_with_its_values_and_types(string name, string format, string read)
    {
        var path = DuckDb.Literal(PathOf(name));
        await DuckDb.ExecAsync($"""
            CREATE TABLE t (id BIGINT, x DOUBLE, s VARCHAR, flag BOOLEAN, big BIGINT);
            INSERT INTO t VALUES (1, 0.5, 'a,"b"', true, 9007199254740993), (2, NULL, 'é', false, -3), (3, -1e300, NULL, NULL, NULL);
            COPY t TO {path} {format};
            """);

        var rows = await DuckDb.QueryAsync($"SELECT * FROM {read}({path}) ORDER BY id");

        Assert.Equal(3, rows.Count);
        Assert.Equal("""{"id":1,"x":0.5,"s":"a,\u0022b\u0022","flag":true,"big":"9007199254740993"}""", rows[0].ToJsonString());
        Assert.Equal(2L, (long)rows[1]["id"]!);
        Assert.Null(rows[1]["x"]);
        Assert.Equal("é", (string)rows[1]["s"]!);
        Assert.Equal(-3L, (long)rows[1]["big"]!);
        Assert.Equal(-1e300, (double)rows[2]["x"]!);
        Assert.Null(rows[2]["s"]);
        Assert.Null(rows[2]["flag"]);
    }

    [Fact]
    public async Task Lists_are_arrays_and_a_query_without_rows_is_empty()
    {
        var rows = await DuckDb.QueryAsync("SELECT [1.5, NULL, 3] AS l, 'nan'::DOUBLE AS n");
        Assert.Equal("""[{"l":["1.5",null,"3.0"],"n":"NaN"}]""", new System.Text.Json.Nodes.JsonArray([.. rows]).ToJsonString());

        Assert.Empty(await DuckDb.QueryAsync("SELECT 1 AS a WHERE false"));
    }

    [Fact]
    public async Task A_failing_statement_fails_with_DuckDBs_message()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => DuckDb.QueryAsync($"SELECT * FROM read_csv({DuckDb.Literal(PathOf("missing.csv"))})"));
        Assert.Contains("missing.csv", error.Message, StringComparison.Ordinal);
        Assert.Contains("DuckDB failed", error.Message, StringComparison.Ordinal);
    }
}
