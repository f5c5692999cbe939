using Seldon.Batch.Dataflow;
using Seldon.Batch.Dataflow.Tests.Fixtures;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>The settings of a table input, checked before any work: what goes with a table, what only with a table, and
/// the messages in property terms.</summary>
public sealed class TableOptionsTests
{
    private static readonly BatchOptions Csv = new()
    {
        Endpoint = new EndpointSettings { Host = "gw:80", DeploymentName = "iris" },
        InputDataPath = "in.csv",
    };

    private static readonly BatchOptions V2Csv = Csv.WithEndpoint(e => e with { Protocol = InferenceProtocol.V2 });

    private static InvalidBatchOptionsException Fails(BatchOptions options) =>
        Assert.Throws<InvalidBatchOptionsException>(() => options.Validate(checkFiles: false));

    [Fact]
    public void Table_settings_that_go_together_pass()
    {
        BatchOptions[] valid =
        [
            Csv,
            Csv with { Columns = ["a", "b"], KeepColumns = [] },
            Csv with { InputDataPath = "s3://bucket/t.parquet", Columns = ["x"] },
            Csv.WithBlock(b => b with { PayloadType = PayloadType.Tensor, BatchSize = 32 }),
            Csv with { InputDataPath = "in.tsv.gz" },
            Csv with { InputDataPath = "in.txt", InputFormat = TableFormat.Csv, Columns = ["a"] },
            V2Csv with { V2Inputs = V2InputLayout.Tensor },
            (V2Csv with { V2Inputs = V2InputLayout.Tensor }).WithBlock(b => b with { InputName = "x", InputDatatype = "FP32" }),
            // A JSON-lines input with the defaults of the table settings is today's run.
            Csv with { InputDataPath = "in.jsonl" },
        ];

        Assert.All(valid, options => Assert.Null(Record.Exception(() => options.Validate(checkFiles: false))));
    }

    [Theory]
    [InlineData(nameof(BatchOptions.Columns))]
    [InlineData(nameof(BatchOptions.KeepColumns))]
    public void Column_names_must_be_named_and_named_once(string property)
    {
        BatchOptions With(string[] names) => property == nameof(BatchOptions.Columns) ? Csv with { Columns = names } : Csv with { KeepColumns = names };

        var empty = Fails(With(["a", " "]));
        Assert.Equal($"{property}: a column name is empty; name each column once, separated by commas", empty.Message);
        Assert.Equal(property, empty.Property);
        Assert.Equal($"{property}: column 'a' is named twice", Fails(With(["a", "b", "a"])).Message);
        // Names are case-sensitive, as Parquet's and CSV headers are.
        Assert.Null(Record.Exception(() => With(["a", "A"]).Validate(checkFiles: false)));
    }

    [Fact]
    public void Columns_with_a_JSON_lines_input_are_refused_saying_why_it_is_JSON_lines()
    {
        var byName = Fails(Csv with { InputDataPath = "in.jsonl", Columns = ["a"] });
        Assert.Equal(
            "Columns is about the columns of a table, but the input in.jsonl is read as JSON lines (by its name; set InputFormat csv or parquet to read it as a table)",
            byName.Message);
        Assert.Equal([nameof(BatchOptions.Columns), nameof(BatchOptions.InputFormat)], byName.Properties);

        var set = Fails(Csv with { InputFormat = TableFormat.JsonLines, V2Inputs = V2InputLayout.Tensor });
        Assert.Equal("V2Inputs is about the columns of a table, but the input in.csv is read as JSON lines (InputFormat jsonl)", set.Message);
        Assert.Equal("--v2-inputs is about the columns of a table, but the input in.csv is read as JSON lines (--input-format jsonl)",
            set.FormatMessage(p => p == nameof(BatchOptions.V2Inputs) ? "--v2-inputs" : "--input-format"));
    }

    [Theory]
    [InlineData(DataType.Json)]
    [InlineData(DataType.Str)]
    [InlineData(DataType.Raw)]
    public void A_table_row_makes_the_whole_request_so_data_types_other_than_data_are_refused(DataType dataType)
    {
        var ex = Fails(Csv.WithBlock(b => b with { DataType = dataType }));

        Assert.Equal(
            $"DataType {dataType.ToString().ToLowerInvariant()} does not go with a table input (in.csv): each row makes the whole request from its columns; leave DataType data",
            ex.Message);
        Assert.Equal([nameof(PredictionBlockOptions.DataType), nameof(BatchOptions.InputFormat)], ex.Properties);
    }

    [Fact]
    public void Seldon_rows_are_ndarray_or_tensor()
    {
        Assert.Equal(
            "PayloadType tftensor does not go with a table input (in.csv): rows are sent as ndarray or tensor",
            Fails(Csv.WithBlock(b => b with { PayloadType = PayloadType.Tftensor })).Message);
        Assert.Equal(
            "V2Inputs belongs to Protocol v2; the Seldon protocol has no such setting",
            Fails(Csv with { V2Inputs = V2InputLayout.Tensor }).Message);
    }

    [Theory]
    [InlineData(nameof(PredictionBlockOptions.InputName))]
    [InlineData(nameof(PredictionBlockOptions.InputDatatype))]
    public void V2_columns_name_and_type_each_input_after_its_column(string property)
    {
        var options = V2Csv.WithBlock(b => property == nameof(PredictionBlockOptions.InputName) ? b with { InputName = "x" } : b with { InputDatatype = "FP32" });

        var ex = Fails(options);
        Assert.Equal(
            $"{property} is for V2Inputs tensor: with V2Inputs columns each column is an input, named after it, its datatype from the column's type",
            ex.Message);
        Assert.Equal([property, nameof(BatchOptions.V2Inputs)], ex.Properties);
    }

    [Theory]
    [InlineData("in.parquet.gz", InputCompression.Auto)]
    [InlineData("in.pq", InputCompression.Gzip)]
    public void A_Parquet_input_cannot_be_gzip(string path, InputCompression compression)
    {
        var ex = Fails(Csv with { InputDataPath = path, InputCompression = compression });

        Assert.StartsWith($"InputFormat: a Parquet input cannot be gzip ({path}): Parquet compresses its own pages", ex.Message);
        Assert.Equal([nameof(BatchOptions.InputFormat), nameof(BatchOptions.InputCompression)], ex.Properties);
    }
}
