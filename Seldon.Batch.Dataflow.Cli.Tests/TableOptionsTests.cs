using Seldon.Batch.Dataflow.Cli;

namespace Seldon.Batch.Dataflow.Cli.Tests;

/// <summary>The table flags (<c>--input-format</c>, <c>--output-format</c>, <c>--columns</c>, <c>--keep-columns</c>,
/// <c>--v2-inputs</c>) and their variables, bound into <see cref="BatchOptions"/>.</summary>
public sealed class TableOptionsTests
{
    private static readonly string[] Target = ["-d", "iris", "-i", "in.parquet", "-o", "out.parquet"];

    [Theory]
    [InlineData("auto", TableFormat.Auto)]
    [InlineData("jsonl", TableFormat.JsonLines)]
    [InlineData("JSONL", TableFormat.JsonLines)]
    [InlineData("csv", TableFormat.Csv)]
    [InlineData(" parquet ", TableFormat.Parquet)]
    public void A_format_is_read_from_its_word(string word, TableFormat expected)
    {
        var run = BatchCommandLineTests.Bind(null, [.. Target, "--input-format", word, "--output-format", word]);

        Assert.Equal(expected, run.Options.InputFormat);
        Assert.Equal(expected, run.Options.OutputFormat);
    }

    [Fact]
    public void Without_table_flags_formats_are_told_by_name_every_column_is_used_and_v2_rows_are_columns()
    {
        var options = BatchCommandLineTests.Bind(null, Target).Options;

        Assert.Equal(TableFormat.Auto, options.InputFormat);
        Assert.Equal(TableFormat.Auto, options.OutputFormat);
        Assert.Null(options.Columns);
        Assert.Null(options.KeepColumns);
        Assert.Equal(V2InputLayout.Columns, options.V2Inputs);
    }

    [Fact]
    public void Column_lists_are_split_on_commas_and_trimmed_in_their_order()
    {
        var options = BatchCommandLineTests.Bind(null, [.. Target, "--columns", "x2, x1 ,id", "--keep-columns", "id"]).Options;

        Assert.Equal(["x2", "x1", "id"], options.Columns);
        Assert.Equal(["id"], options.KeepColumns);
    }

    [Fact]
    public void An_empty_keep_columns_flag_keeps_no_column()
    {
        var options = BatchCommandLineTests.Bind(null, [.. Target, "--keep-columns", ""]).Options;

        Assert.NotNull(options.KeepColumns);
        Assert.Empty(options.KeepColumns);
    }

    [Fact]
    public void The_variables_set_what_the_flags_set_and_a_flag_wins()
    {
        var environment = new Dictionary<string, string>
        {
            ["SELDON_BATCH_INPUT_FORMAT"] = "csv",
            ["SELDON_BATCH_OUTPUT_FORMAT"] = "parquet",
            ["SELDON_BATCH_COLUMNS"] = "a,b",
            ["SELDON_BATCH_KEEP_COLUMNS"] = "a",
            ["SELDON_BATCH_V2_INPUTS"] = "tensor",
        };

        var options = BatchCommandLineTests.Bind(environment, [.. Target, "--columns", "c"]).Options;

        Assert.Equal(TableFormat.Csv, options.InputFormat);
        Assert.Equal(TableFormat.Parquet, options.OutputFormat);
        Assert.Equal(["c"], options.Columns);
        Assert.Equal(["a"], options.KeepColumns);
        Assert.Equal(V2InputLayout.Tensor, options.V2Inputs);
    }

    [Theory]
    [InlineData("--input-format", "xlsx", "auto, jsonl, csv, parquet")]
    [InlineData("--output-format", "orc", "auto, jsonl, csv, parquet")]
    [InlineData("--v2-inputs", "rows", "columns, tensor")]
    public async Task An_unknown_choice_is_refused_naming_the_flag_and_the_choices(string flag, string value, string choices)
    {
        var line = await BatchCommandLineTests.AssertRefusedAsync(flag, null, [.. Target, flag, value]);

        Assert.Contains($"'{value}'", line);
        Assert.Contains(choices, line);
    }
}
