namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The Parquet fixtures DuckDB wrote (Tables/Fixtures/parquet-fixtures.sql) and small helpers to read tables.</summary>
internal static class ParquetFiles
{
    /// <summary>The path of a fixture in the sources (found from the test's folder up to the solution's).</summary>
    public static string Fixture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Seldon.Batch.Dataflow.sln")))
            {
                return Path.Combine(dir.FullName, "Seldon.Batch.Dataflow.Tests", "Tables", "Fixtures", name);
            }
        }

        throw new InvalidOperationException($"no Seldon.Batch.Dataflow.sln above {AppContext.BaseDirectory}");
    }

    public static FileStream Open(string path) => new(path, FileMode.Open, FileAccess.Read, FileShare.Read);

    /// <summary>Every row <paramref name="reader"/> gives of <paramref name="columns"/> (all when null), copied.</summary>
    public static async Task<List<object?[]>> RowsAsync(ITableReader reader, IReadOnlyList<int>? columns = null, long skip = 0)
    {
        var rows = new List<object?[]>();
        await foreach (var row in reader.ReadAsync(columns ?? [.. Enumerable.Range(0, reader.Columns.Count)], skip, CancellationToken.None))
        {
            rows.Add((object?[])row.Clone());
        }

        return rows;
    }

    /// <summary>The rows of the file at <paramref name="path"/> (its rows [first, end)) of the named columns.</summary>
    public static async Task<List<object?[]>> RowsAsync(string path, IReadOnlyList<string> columns, long first = 0, long? end = null, long skip = 0)
    {
        await using var reader = await ParquetTableReader.OpenAsync(Open(path), first, end, CancellationToken.None);
        return await RowsAsync(reader, [.. columns.Select(name => IndexOf(reader, name))], skip);
    }

    public static int IndexOf(ITableReader reader, string name)
    {
        var index = reader.Columns.Select(c => c.Name).ToList().IndexOf(name);
        return index >= 0 ? index : throw new Xunit.Sdk.XunitException($"no column '{name}' in {string.Join(", ", reader.Columns.Select(c => c.Name))}");
    }
}
