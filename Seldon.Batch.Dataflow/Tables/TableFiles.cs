namespace Seldon.Batch.Dataflow;

/// <summary>How a table output reaches the formats' own code: the reader of the run's input (only to copy its kept
/// columns) and the writer of the output table. The runs and the merge use <see cref="Default"/>; tests pass their own
/// (a writer that fails half-way) through the internal overloads of <see cref="BatchRun"/>.</summary>
/// <param name="OpenInput">Opens the whole input (a file or an object, plain or gzip) in its format, from its first row.</param>
/// <param name="CreateWriter">Starts a table of the given columns in the given format on a forward-only stream; the
/// location says the delimiter of a CSV table (<see cref="TableFormats.DelimiterOf"/>).</param>
internal sealed record TableFiles(
    Func<InputSource, InputVersion, TableFormat, CancellationToken, Task<ITableReader>> OpenInput,
    Func<TableFormat, StorageLocation, Stream, IReadOnlyList<TableColumn>, CancellationToken, Task<ITableWriter>> CreateWriter)
{
    /// <summary>The formats this build reads and writes.</summary>
    public static TableFiles Default { get; } = new(OpenInputAsync, CreateWriterAsync);

    private static Task<ITableReader> OpenInputAsync(InputSource input, InputVersion version, TableFormat format, CancellationToken ct) => format switch
    {
        TableFormat.JsonLines => JsonLinesTable.OpenAsync(input, version, ct),
        // Wired where the CSV and Parquet readers are (TableInput).
        _ => throw NotBuilt(format, input.Location),
    };

    private static Task<ITableWriter> CreateWriterAsync(TableFormat format, StorageLocation table, Stream output, IReadOnlyList<TableColumn> columns, CancellationToken ct) =>
        // Wired where the CSV and Parquet writers are (CsvTableWriter.Create, ParquetTableWriter.CreateAsync).
        throw NotBuilt(format, table);

    private static StorageException NotBuilt(TableFormat format, StorageLocation location) =>
        StorageException.Settings($"{location}: {format} tables are not read or written by this build");
}
