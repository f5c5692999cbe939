namespace Seldon.Batch.Dataflow;

// The rules of a table input (CSV or Parquet): which settings go with it, which only with it. What only the table can
// tell (a column it lacks, or of a type no model input can be) is checked when the run opens it (TableInput).
public sealed partial record BatchOptions
{
    /// <summary>The format the input is read in: <see cref="InputFormat"/>, or by the input's name.</summary>
    internal TableFormat ResolvedInputFormat => TableFormats.Resolve(InputFormat, InputDataPath);

    /// <summary>Whether the input is gzip: <see cref="InputCompression"/>, or by the input's name (as the run reads it).</summary>
    private bool InputIsGzip => InputCompression == InputCompression.Gzip
        || (InputCompression == InputCompression.Auto && InputDataPath.EndsWith(".gz", StringComparison.OrdinalIgnoreCase));

    private void ValidateTables(InferenceProtocol protocol)
    {
        CheckNames(nameof(Columns), Columns);
        CheckNames(nameof(KeepColumns), KeepColumns);
        var format = ResolvedInputFormat;
        if (!format.IsTable())
        {
            foreach (var (property, set) in new[] { (nameof(Columns), Columns is not null), (nameof(V2Inputs), V2Inputs != V2InputLayout.Columns) })
            {
                if (set)
                {
                    throw InvalidBatchOptionsException.About([property, nameof(InputFormat)], name =>
                        $"{name(property)} is about the columns of a table, but the input {InputDataPath} is read as JSON lines ({HowJsonLines(name)})");
                }
            }

            return;
        }

        if (format == TableFormat.Parquet && InputIsGzip)
        {
            throw InvalidBatchOptionsException.About([nameof(InputFormat), nameof(InputCompression)], name =>
                $"{name(nameof(InputFormat))}: a Parquet input cannot be gzip ({InputDataPath}): Parquet compresses its own pages; give the file as it is, or set {name(nameof(InputCompression))} none if it is not gzip");
        }

        ValidateTableBlock(protocol);
    }

    /// <summary>A table row makes the whole request: the block's settings that shape a line's message must be the
    /// defaults, or the ones a row can fill.</summary>
    private void ValidateTableBlock(InferenceProtocol protocol)
    {
        var block = Block;
        if (block.DataType != DataType.Data)
        {
            throw InvalidBatchOptionsException.About([nameof(PredictionBlockOptions.DataType), nameof(InputFormat)], name =>
                $"{name(nameof(PredictionBlockOptions.DataType))} {Name(block.DataType)} does not go with a table input ({InputDataPath}): each row makes the whole request from its columns; leave {name(nameof(PredictionBlockOptions.DataType))} data");
        }

        if (protocol == InferenceProtocol.Seldon)
        {
            if (block.PayloadType is not (PayloadType.Ndarray or PayloadType.Tensor))
            {
                throw InvalidBatchOptionsException.About([nameof(PredictionBlockOptions.PayloadType), nameof(InputFormat)], name =>
                    $"{name(nameof(PredictionBlockOptions.PayloadType))} {Name(block.PayloadType)} does not go with a table input ({InputDataPath}): rows are sent as ndarray or tensor");
            }

            if (V2Inputs != V2InputLayout.Columns)
            {
                throw InvalidBatchOptionsException.BelongsToV2(nameof(V2Inputs));
            }

            return;
        }

        if (V2Inputs == V2InputLayout.Columns)
        {
            // One input per column: its name is the column's, its datatype the column's type.
            foreach (var (property, value) in new[] { (nameof(PredictionBlockOptions.InputName), block.InputName), (nameof(PredictionBlockOptions.InputDatatype), block.InputDatatype) })
            {
                if (value.Length > 0)
                {
                    throw InvalidBatchOptionsException.About([property, nameof(V2Inputs)], name =>
                        $"{name(property)} is for {name(nameof(V2Inputs))} tensor: with {name(nameof(V2Inputs))} columns each column is an input, named after it, its datatype from the column's type");
                }
            }
        }
    }

    /// <summary>How the input came to be read as JSON lines, for the user who meant a table.</summary>
    private string HowJsonLines(Func<string, string> name) => InputFormat == TableFormat.Auto
        ? $"by its name; set {name(nameof(InputFormat))} csv or parquet to read it as a table"
        : $"{name(nameof(InputFormat))} {FormatName(InputFormat)}";

    /// <summary>A format as the settings and the run's record name it: <c>auto</c>, <c>jsonl</c>, <c>csv</c>, <c>parquet</c>.</summary>
    internal static string FormatName(TableFormat format) => format == TableFormat.JsonLines ? "jsonl" : Name(format);

    /// <summary>A list of column names: each named (not empty) and named once.</summary>
    private static void CheckNames(string property, IReadOnlyList<string>? names)
    {
        if (names is null)
        {
            return;
        }

        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var column in names)
        {
            if (string.IsNullOrWhiteSpace(column))
            {
                Fail(property, ": a column name is empty; name each column once, separated by commas");
            }

            if (!seen.Add(column))
            {
                Fail(property, $": column '{column}' is named twice");
            }
        }
    }
}
