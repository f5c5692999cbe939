using System.Text.Json.Nodes;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The sample tables of <c>make run</c> (samples/table.csv and samples/table.parquet, made by
/// samples/make-tables.sh): the CSV one reads as the same table DuckDB reads from the Parquet one, and the columns
/// samples/run.sh sends to the demo model are numbers without nulls, which the model can double.</summary>
[Trait("Category", "Integration")]
public sealed class SampleTablesTests
{
    private static readonly string[] Features = ["tenure_months", "monthly_spend", "support_calls", "discount_rate"];

    private static string SamplePath(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "samples", name);
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException($"samples/{name} was not found above {AppContext.BaseDirectory}");
    }

    [Fact]
    public async Task The_CSV_sample_holds_the_Parquet_samples_table_and_its_features_are_numbers()
    {
        var (layout, rows) = await CsvFiles.ReadAllAsync(SamplePath("table.csv"));
        var parquet = await DuckDb.QueryAsync($"SELECT * FROM read_parquet({DuckDb.Literal(SamplePath("table.parquet"))})");

        Assert.Equal(20, rows.Count);
        Assert.Equal(parquet[0].Select(p => p.Key), layout.Columns.Select(c => c.Name));
        for (var r = 0; r < rows.Count; r++)
        {
            for (var c = 0; c < layout.Columns.Count; c++)
            {
                Assert.Equal(Normalize(parquet[r][c]), rows[r][c] is { } value ? Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture) : null);
            }
        }

        foreach (var feature in Features)
        {
            var column = layout.Columns.Single(c => c.Name == feature);
            Assert.Contains(column.ValueType, new[] { typeof(long), typeof(double) });
            Assert.All(rows, row => Assert.NotNull(row[layout.Columns.ToList().IndexOf(column)]));
        }

        Assert.Contains(rows, row => row[^1] is null);
        Assert.Contains("--columns " + string.Join(",", Features), await File.ReadAllTextAsync(SamplePath("run.sh")), StringComparison.Ordinal);
    }

    private static string? Normalize(JsonNode? node) => node is null ? null : node.GetValueKind() switch
    {
        System.Text.Json.JsonValueKind.Number => ((double)node).ToString(System.Globalization.CultureInfo.InvariantCulture),
        System.Text.Json.JsonValueKind.True => "True",
        System.Text.Json.JsonValueKind.False => "False",
        _ => (string)node!,
    };
}
