using System.Text;

namespace Seldon.Batch.Dataflow;

/// <summary>A run's table output (CSV or Parquet): where its records go (<c>&lt;output&gt;.records.jsonl</c>, which the
/// run writes, resumes, retries and publishes as it writes a JSON-lines output), where its table goes, and the checks
/// that keep the table's column names unique, as early as each can be made: the kept columns against the input's and
/// <see cref="KeptColumns.Error"/> before any request, against the Open Inference model's declared outputs before the
/// first line, against the first answer's prediction columns as it is written, and against every answer's when the
/// table is written.</summary>
internal sealed class TableOutput
{
    private const string RecordsSuffix = ".records.jsonl";

    private readonly Func<string, string> _name;
    private string[] _kept = [];

    private TableOutput(StorageLocation table, TableSettings settings, TableFiles files, Func<string, string> name)
    {
        Table = table;
        Records = RecordsOf(table);
        Settings = settings;
        Files = files;
        _name = name;
    }

    /// <summary>Where the table goes: the output the user named.</summary>
    public StorageLocation Table { get; }

    /// <summary>Where the run's records go.</summary>
    public StorageLocation Records { get; }

    public TableSettings Settings { get; }

    public TableFiles Files { get; }

    /// <summary>The refusal the first answer's prediction columns earned (<see cref="InspectFirstPrediction"/>); null while
    /// none did.</summary>
    public InvalidBatchOptionsException? Clash { get; private set; }

    /// <summary>Where the records of the table <paramref name="table"/> go.</summary>
    public static StorageLocation RecordsOf(StorageLocation table) => table.Append(RecordsSuffix);

    /// <summary>Where a run of <paramref name="options"/> writes its records: next to a table <paramref name="output"/>,
    /// else the output itself.</summary>
    public static StorageLocation RecordsLocation(BatchOptions options, StorageLocation output) =>
        TableFormats.Resolve(options.OutputFormat, options.OutputDataPath).IsTable() ? RecordsOf(output) : output;

    /// <summary>The table output of a run of <paramref name="options"/>; null when it writes JSON lines.</summary>
    /// <exception cref="InvalidBatchOptionsException">Columns to keep are given for a JSON-lines output, which has none.</exception>
    public static TableOutput? Of(BatchOptions options, TableFiles files)
    {
        if (TableSettings.Of(options) is { } settings)
        {
            return new TableOutput(StorageLocation.Parse(options.OutputDataPath), settings, files, options.NameOf);
        }

        if (options.KeepColumns is { Count: > 0 })
        {
            throw InvalidBatchOptionsException.About([nameof(BatchOptions.KeepColumns), nameof(BatchOptions.OutputFormat)], name =>
                $"{name(nameof(BatchOptions.KeepColumns))} copies input columns into a CSV or Parquet output, but {options.OutputDataPath} is written as JSON lines ({name(nameof(BatchOptions.OutputFormat))}): give a .csv or .parquet output, or no {name(nameof(BatchOptions.KeepColumns))}");
        }

        return null;
    }

    /// <summary>The table output a merge writes from the records of the shards' parts, as their records describe it.</summary>
    public static TableOutput Of(StorageLocation table, TableSettings settings, TableFiles files, Func<string, string>? name) =>
        new(table, settings, files, name ?? (static property => property));

    /// <summary>Before any request: the kept columns are the input's (its header or schema read), none named
    /// <see cref="KeptColumns.Error"/>.</summary>
    /// <exception cref="InvalidBatchOptionsException">They are not.</exception>
    public async Task CheckInputAsync(InputSource input, InputVersion version, CancellationToken ct)
    {
        await using var reader = await Files.OpenInput(input, version, Settings.InputFormat, ct).ConfigureAwait(false);
        var columns = reader.Columns;
        _kept = [.. KeptColumns.Resolve(columns, Settings.KeepColumns, input.Location.ToString()).Select(i => columns[i].Name)];
    }

    /// <summary>Before the first line of an Open Inference run: the outputs its model's metadata declares.</summary>
    /// <exception cref="InvalidBatchOptionsException">A kept column is named like one of them.</exception>
    public void CheckModelOutputs(IReadOnlyList<string> outputs) =>
        KeptColumns.CheckClash(_kept, outputs, Settings.KeepColumns is not null, "the model's metadata");

    /// <summary>The first prediction written: its prediction columns against the kept ones. Returns why the run must stop
    /// (in the caller's words), and keeps the refusal in <see cref="Clash"/>; null when they do not clash.</summary>
    public string? InspectFirstPrediction(InstanceResult result)
    {
        var cells = new List<PredictionCell>();
        try
        {
            new PredictionRecord(withValues: false).Read(result.Utf8 is { } utf8 ? utf8.Span : Encoding.UTF8.GetBytes(result.Line), cells);
            KeptColumns.CheckClash(_kept, cells.Select(c => c.Name), Settings.KeepColumns is not null, "the model's answers");
            return null;
        }
        catch (InvalidDataException)
        {
            // Not a record a table can be made of: the table's writing says so, with its position.
            return null;
        }
        catch (InvalidBatchOptionsException clash)
        {
            Clash = clash;
            return clash.FormatMessage(_name);
        }
    }

    /// <summary>Whether the table is missing, or older than the records (replaced since, by <c>--retry-failed</c>).</summary>
    public async Task<bool> IsStaleAsync(ObjectStore store, CancellationToken ct)
    {
        if (!Table.IsObject)
        {
            return !File.Exists(Table.Path) || File.GetLastWriteTimeUtc(Table.Path!) < File.GetLastWriteTimeUtc(Records.Path!);
        }

        var table = await S3Objects.LastModifiedAsync(store, Table, ct).ConfigureAwait(false);
        return table is null || table < await S3Objects.LastModifiedAsync(store, Records, ct).ConfigureAwait(false);
    }

    /// <summary>Writes the table from the complete records and the run's <paramref name="input"/>; returns its rows.</summary>
    /// <param name="store">The store of objects.</param>
    /// <param name="input">The run's input.</param>
    /// <param name="version">The version of it the records were made from.</param>
    /// <param name="held">The run's hold on its records (and so on the table), checked before an object table is completed.</param>
    /// <param name="ct">Cancels the writing; the table then does not appear.</param>
    public Task<long> PublishAsync(ObjectStore store, InputSource input, InputVersion version, OutputLock? held, CancellationToken ct) =>
        TablePublisher.PublishAsync(PublicationOf(store, input, version, held), ct);

    /// <summary>What the table is written from and where it goes, for <see cref="TablePublisher"/> or a <see cref="LiveTable"/>.</summary>
    public TablePublication PublicationOf(ObjectStore store, InputSource input, InputVersion version, OutputLock? held) =>
        new(
            async token =>
            {
                var records = InputSource.Create(Records, InputCompression.None, store);
                var reading = await records.OpenAsync(await records.DescribeAsync(token).ConfigureAwait(false), 0, null, token).ConfigureAwait(false);
                return reading.Decoded;
            },
            Records,
            token => Files.OpenInput(input, version, Settings.InputFormat, token),
            input.Location.ToString(),
            Settings.KeepColumns,
            Table,
            Settings.Format,
            store,
            held,
            Files);
}
