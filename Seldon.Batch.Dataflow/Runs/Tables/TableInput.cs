namespace Seldon.Batch.Dataflow;

/// <summary>A run's input read as a table (CSV or Parquet): described once before the run starts (its columns, the ones
/// that make the model's input, checked then, so that a column the table lacks or that no model input can be is a
/// settings problem found before any request), then opened for a range of rows, counted and cut into shards.
/// A Parquet range is rows [<see cref="ShardRange.Start"/>, <see cref="ShardRange.End"/>), read from the row groups it
/// overlaps; a CSV range is decoded bytes cut at the starts of records, as JSON lines are cut at the starts of lines.
/// Rows are numbered as lines are: the first row (after a CSV header) is row 0, its <c>batch_index</c>.</summary>
internal sealed class TableInput
{
    private readonly InputSource _input;
    private readonly InputVersion _version;
    private readonly char _delimiter;
    private readonly CsvLayout? _layout;
    private readonly long _parquetRows;

    private TableInput(InputSource input, InputVersion version, TableFormat format, IReadOnlyList<TableColumn> columns, char delimiter, CsvLayout? layout, long parquetRows)
    {
        _input = input;
        _version = version;
        Format = format;
        Columns = columns;
        _delimiter = delimiter;
        _layout = layout;
        _parquetRows = parquetRows;
    }

    /// <summary>CSV or Parquet.</summary>
    public TableFormat Format { get; }

    /// <summary>Every column of the table, in its order.</summary>
    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>The columns that make the model's input, as indexes into <see cref="Columns"/>, in the model's order.</summary>
    public IReadOnlyList<int> Chosen { get; private set; } = [];

    /// <summary>The columns that make the model's input, in the model's order.</summary>
    public IReadOnlyList<TableColumn> ChosenColumns => [.. Chosen.Select(c => Columns[c])];

    /// <summary>The columns that make the model's input, in the model's order, as the rows' encoding takes them.</summary>
    public IReadOnlyList<RowColumn> ModelColumns => ModelColumnsOf(Columns, Chosen);

    private static RowColumn[] ModelColumnsOf(IReadOnlyList<TableColumn> columns, IReadOnlyList<int> chosen) =>
        [.. chosen.Select(c => new RowColumn(columns[c].Name, columns[c].ValueType))];

    /// <summary>The range of a whole run: every row of a Parquet file (their count known from its footer); every decoded
    /// byte of a CSV file (its rows counted only when a resume needs them).</summary>
    public ShardRange WholeRange => Format == TableFormat.Parquet
        ? new ShardRange(0, _parquetRows, 0, _parquetRows)
        : new ShardRange(0, _input.IsGzip ? long.MaxValue : _version.Length, 0, -1);

    /// <summary>Reads what the table is (a Parquet file's footer; a CSV file's header and first rows) and checks the columns
    /// <paramref name="options"/> send to the model: every one of <see cref="BatchOptions.Columns"/> in the table, and of a
    /// type a model input can be. Throws <see cref="InvalidBatchOptionsException"/> naming <see cref="BatchOptions.Columns"/>
    /// and listing the table's columns otherwise; a table that cannot be read as its format is a settings
    /// <see cref="StorageException"/>.</summary>
    public static async Task<TableInput> DescribeAsync(InputSource input, InputVersion version, BatchOptions options, CancellationToken ct)
    {
        var format = options.ResolvedInputFormat;
        TableInput table;
        try
        {
            table = format == TableFormat.Parquet
                ? await DescribeParquetAsync(input, version, ct).ConfigureAwait(false)
                : await DescribeCsvAsync(input, version, TableFormats.DelimiterOf(options.InputDataPath), ct).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidDataException or FormatException or NotSupportedException)
        {
            throw StorageException.Settings($"{input.Location} cannot be read as {BatchOptions.FormatName(format)}: {ex.Message} (is {nameof(BatchOptions.InputFormat)} right?)", ex);
        }

        table.Chosen = Choose(table.Columns, options);
        return table;
    }

    private static async Task<TableInput> DescribeParquetAsync(InputSource input, InputVersion version, CancellationToken ct)
    {
        var stream = await input.OpenSeekableAsync(version, ct).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            var reader = await ParquetTableReader.OpenAsync(stream, 0, null, ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                return new TableInput(input, version, TableFormat.Parquet, reader.Columns, '\0', null, reader.RowCount);
            }
        }
    }

    private static async Task<TableInput> DescribeCsvAsync(InputSource input, InputVersion version, char delimiter, CancellationToken ct)
    {
        var reading = await input.OpenAsync(version, 0, null, ct).ConfigureAwait(false);
        await using (reading.ConfigureAwait(false))
        {
            var layout = await CsvTableReader.DescribeAsync(reading.Decoded, delimiter, input.Location.ToString(), ct).ConfigureAwait(false);
            return new TableInput(input, version, TableFormat.Csv, layout.Columns, delimiter, layout, -1);
        }
    }

    /// <summary>The indexes of the columns <see cref="BatchOptions.Columns"/> names (every column when it names none),
    /// checked as model inputs under the options' protocol and layout.</summary>
    private static int[] Choose(IReadOnlyList<TableColumn> columns, BatchOptions options)
    {
        int[] chosen;
        if (options.Columns is { } names)
        {
            chosen = new int[names.Count];
            for (var k = 0; k < names.Count; k++)
            {
                var name = names[k];
                chosen[k] = columns.Select((c, i) => (c, i)).FirstOrDefault(p => p.c.Name == name, (null!, -1)).Item2;
                if (chosen[k] < 0)
                {
                    throw Refuse(options, columns, $"the table has no column '{name}'");
                }
            }
        }
        else
        {
            chosen = [.. Enumerable.Range(0, columns.Count)];
        }

        var refusal = RowLines.Refusal(ModelColumnsOf(columns, chosen), PredictionBlock.EncodingOfRows(options.Endpoint.Protocol, options.Block, options.V2Inputs));
        if (refusal is not null)
        {
            throw Refuse(options, columns, options.Columns is null ? $"{refusal} (every column is sent when none are named)" : refusal);
        }

        return chosen;
    }

    private static InvalidBatchOptionsException Refuse(BatchOptions options, IReadOnlyList<TableColumn> columns, string problem) =>
        InvalidBatchOptionsException.About(nameof(BatchOptions.Columns), $": {problem}; the columns of {options.InputDataPath} are {Describe(columns)}");

    /// <summary>The table's columns for a message: each name and what it holds.</summary>
    private static string Describe(IReadOnlyList<TableColumn> columns) =>
        columns.Count == 0 ? "none" : string.Join(", ", columns.Select(c => $"{c.Name} ({TypeName(c.ValueType)})"));

    private static string TypeName(Type type) =>
        type == typeof(object[]) ? "list" : type == typeof(byte[]) ? "binary" : type.Name.ToLowerInvariant() switch
        {
            "int64" => "long",
            "int32" => "int",
            "int16" => "short",
            "uint64" => "ulong",
            "uint32" => "uint",
            "uint16" => "ushort",
            "single" => "float",
            "boolean" => "bool",
            var name => name,
        };

    /// <summary>The table's rows: a Parquet file's from its footer; a CSV file's counted by reading it once.</summary>
    public async Task<long> CountRowsAsync(CancellationToken ct)
    {
        if (Format == TableFormat.Parquet)
        {
            return _parquetRows;
        }

        var reading = await _input.OpenAsync(_version, 0, null, ct).ConfigureAwait(false);
        await using (reading.ConfigureAwait(false))
        {
            return await CountRowsAsync(reading.Decoded, ct).ConfigureAwait(false);
        }
    }

    /// <summary>The table's rows, a CSV file's counted from <paramref name="decoded"/> (the whole decoded file from its start,
    /// read to its end: the fingerprint's pass counts them as it hashes); a Parquet file's from its footer.</summary>
    public Task<long> CountRowsAsync(Stream decoded, CancellationToken ct) =>
        Format == TableFormat.Parquet ? Task.FromResult(_parquetRows) : CsvTableReader.CountRowsAsync(decoded, _delimiter, ct);

    /// <summary>Splits the table into <paramref name="count"/> ranges, each starting on a row whose number is a multiple of
    /// <paramref name="batchSize"/> (micro-batch k holds rows [k·s, (k+1)·s) in a shard as in one run): Parquet rows cut at
    /// the even cut points (<see cref="CutRows"/>); a CSV file's decoded bytes (<paramref name="decodedLength"/> of them) cut
    /// at the starts of records.</summary>
    public async Task<IReadOnlyList<ShardRange>> CutAsync(int count, int batchSize, long decodedLength, CancellationToken ct)
    {
        if (Format == TableFormat.Parquet)
        {
            return CutRows(_parquetRows, count, batchSize);
        }

        var reading = await _input.OpenAsync(_version, 0, null, ct).ConfigureAwait(false);
        await using (reading.ConfigureAwait(false))
        {
            return await CsvShards.CutAsync(reading.Decoded, decodedLength, _layout!, count, batchSize, _delimiter, ct).ConfigureAwait(false);
        }
    }

    /// <summary>Rows [0, <paramref name="rows"/>) in <paramref name="count"/> ranges: range k starts at the first multiple of
    /// <paramref name="batchSize"/> at or after rows·k/count (so the shards are as even as whole micro-batches allow, and
    /// each reads only the row groups its rows are in); ranges past the last row are empty.</summary>
    public static IReadOnlyList<ShardRange> CutRows(long rows, int count, int batchSize)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var starts = new long[count + 1];
        for (var k = 1; k < count; k++)
        {
            var target = (long)((UInt128)(ulong)rows * (ulong)k / (ulong)count);
            var start = (target + batchSize - 1) / batchSize * batchSize;
            starts[k] = Math.Min(rows, Math.Max(start, starts[k - 1]));
        }

        starts[count] = rows;
        return [.. Enumerable.Range(0, count).Select(k => new ShardRange(starts[k], starts[k + 1], starts[k], starts[k + 1] - starts[k]))];
    }

    /// <summary>Opens the rows of <paramref name="range"/> for reading: a Parquet file seekable (the row groups the range
    /// overlaps are read), a CSV file's decoded bytes of the range.</summary>
    public async Task<TableRows> OpenAsync(ShardRange range, CancellationToken ct)
    {
        if (Format == TableFormat.Parquet)
        {
            var stream = await _input.OpenSeekableAsync(_version, ct).ConfigureAwait(false);
            try
            {
                var reader = await ParquetTableReader.OpenAsync(stream, range.Start, range.End, ct).ConfigureAwait(false);
                return TableRows.OfRows(reader, Chosen, range.End - range.Start, stream);
            }
            catch
            {
                await stream.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }

        var reading = await _input.OpenAsync(_version, range.Start, range.End, ct).ConfigureAwait(false);
        var csv = CsvTableReader.Open(reading.Decoded, _delimiter, _layout!, atFileStart: range.Start == 0);
        return TableRows.OfBytes(csv, Chosen, reading);
    }
}
