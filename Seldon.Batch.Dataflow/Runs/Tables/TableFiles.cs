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

    private static async Task<ITableReader> OpenInputAsync(InputSource input, InputVersion version, TableFormat format, CancellationToken ct)
    {
        switch (format)
        {
            case TableFormat.JsonLines:
                return await JsonLinesTable.OpenAsync(input, version, ct).ConfigureAwait(false);
            case TableFormat.Parquet:
                var stream = await input.OpenSeekableAsync(version, ct).ConfigureAwait(false);
                try
                {
                    // The reader owns the stream from here.
                    return await ParquetTableReader.OpenAsync(stream, 0, null, ct).ConfigureAwait(false);
                }
                catch
                {
                    await stream.DisposeAsync().ConfigureAwait(false);
                    throw;
                }

            case TableFormat.Csv:
                // The layout as the run described it: the same header and the same types, read from the file's start.
                var delimiter = TableFormats.DelimiterOf(input.Location.ToString());
                CsvLayout layout;
                await using (var start = await input.OpenAsync(version, 0, null, ct).ConfigureAwait(false))
                {
                    layout = await CsvTableReader.DescribeAsync(start.Decoded, delimiter, input.Location.ToString(), ct).ConfigureAwait(false);
                }

                var reading = await input.OpenAsync(version, 0, null, ct).ConfigureAwait(false);
                return new OwningReader(CsvTableReader.Open(reading.Decoded, delimiter, layout, atFileStart: true), reading);
            default:
                throw NotBuilt(format, input.Location);
        }
    }

    private static async Task<ITableWriter> CreateWriterAsync(TableFormat format, StorageLocation table, Stream output, IReadOnlyList<TableColumn> columns, CancellationToken ct) => format switch
    {
        TableFormat.Csv => CsvTableWriter.Create(output, TableFormats.DelimiterOf(table.ToString()), columns),
        TableFormat.Parquet => await ParquetTableWriter.CreateAsync(output, columns, ct).ConfigureAwait(false),
        _ => throw NotBuilt(format, table),
    };

    /// <summary>A reader that also closes what it reads from.</summary>
    private sealed class OwningReader(ITableReader reader, IAsyncDisposable source) : ITableReader
    {
        public IReadOnlyList<TableColumn> Columns => reader.Columns;

        public IAsyncEnumerable<object?[]> ReadAsync(IReadOnlyList<int> columns, long skip, CancellationToken ct) => reader.ReadAsync(columns, skip, ct);

        public async ValueTask DisposeAsync()
        {
            await reader.DisposeAsync().ConfigureAwait(false);
            await source.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static StorageException NotBuilt(TableFormat format, StorageLocation location) =>
        StorageException.Settings($"{location}: {format} tables are not read or written by this build");
}
