using System.Runtime.CompilerServices;

namespace Seldon.Batch.Dataflow;

/// <summary>The rows of a CSV file (or of a shard's range of it), streamed: one record at a time is held, whatever the
/// file's size. Records are read as <see cref="CsvRecords"/> says (RFC 4180, quoted line breaks, null is an empty unquoted
/// field and "" a quoted empty one). A value is of its column's type from the <see cref="CsvLayout"/>; a value that does
/// not fit it (text in a column whose first rows were all integers) is given as its text, a <see cref="string"/>, which
/// fails that row alone when it is a model input. A row with fewer fields than the header has nulls for the rest; fields
/// past the header's are ignored. A record longer than <see cref="CsvRecords.MaxRecordBytes"/> (most likely a quote that
/// is never closed) stops the reading with a settings <see cref="StorageException"/> naming the file, rather than
/// holding the rest of the file in memory.</summary>
internal sealed class CsvTableReader : ITableReader
{
    /// <summary>How many rows after the header the column types are guessed from.</summary>
    public const int RowsToType = 1000;

    private readonly CsvRecords _records;
    private readonly bool _atFileStart;
    private readonly Type[] _types;
    private bool _read;

    private CsvTableReader(CsvRecords records, CsvLayout layout, bool atFileStart)
    {
        _records = records;
        _atFileStart = atFileStart;
        Columns = layout.Columns;
        _types = [.. layout.Columns.Select(c => c.ValueType)];
    }

    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>Describes a CSV file from its start: the header's column names and a type per column guessed from the
    /// first <see cref="RowsToType"/> rows (every non-null value an integer: <see cref="long"/>; else every one a number:
    /// <see cref="double"/>; else every one true or false: <see cref="bool"/>; else, or when the column has no non-null
    /// value, <see cref="string"/>). An empty name becomes <c>column</c>N (N the column's index from 0) and a repeated
    /// one gets <c>_1</c>, <c>_2</c>… as DuckDB names them. Throws a settings <see cref="StorageException"/> when the
    /// file has no header (it is empty).</summary>
    /// <param name="decodedFromStart">The file's decoded bytes from its start (read only as far as needed, not disposed).</param>
    /// <param name="delimiter">The field separator (',' or '\t').</param>
    /// <param name="ct">Cancels the reading.</param>
    public static Task<CsvLayout> DescribeAsync(Stream decodedFromStart, char delimiter, CancellationToken ct) =>
        DescribeAsync(decodedFromStart, delimiter, CsvRecords.UnnamedSource, ct);

    /// <summary>The same, <paramref name="source"/> (the input's path or URL) named by the error of a file without a header.</summary>
    public static async Task<CsvLayout> DescribeAsync(Stream decodedFromStart, char delimiter, string source, CancellationToken ct)
    {
        // Counted so that a file without rows knows where its header ends (the parser's offsets count a missing final
        // line end as a byte).
        var counted = new CountingStream(decodedFromStart);
        await using var records = CsvRecords.FromFileStart(counted, delimiter, source);
        var header = await records.ReadHeaderAsync(ct).ConfigureAwait(false)
            ?? throw StorageException.Settings($"{source} is empty: a CSV input needs a header row naming its columns");
        var guesses = new CsvValues.Guess[header.Length];
        long? firstRow = null;
        for (var row = 0; row < RowsToType && await records.NextRowAsync(ct).ConfigureAwait(false); row++)
        {
            firstRow ??= records.RecordStart;
            for (var i = 0; i < guesses.Length; i++)
            {
                if (!records.IsNull(i))
                {
                    guesses[i].See(records.Reader.GetSpan(i));
                }
            }
        }

        var names = UniqueNames(header);
        var columns = names.Select((name, i) => new TableColumn(name, guesses[i].Type)).ToArray();
        return new CsvLayout(columns, firstRow ?? counted.BytesRead) { Source = source };
    }

    /// <summary>A reader of the rows of <paramref name="decoded"/> (not disposed by the reader): from the file's start
    /// (<paramref name="atFileStart"/>: its header is passed over) or from a row start (a shard's range, which has no header).</summary>
    public static CsvTableReader Open(Stream decoded, char delimiter, CsvLayout layout, bool atFileStart) =>
        new(atFileStart ? CsvRecords.FromFileStart(decoded, delimiter, layout.Source) : CsvRecords.FromRow(decoded, delimiter, layout.Columns.Count, layout.Source), layout, atFileStart);

    /// <summary>Counts the rows of a CSV file as <see cref="ReadAsync"/> reads them (the header aside), reading
    /// <paramref name="decoded"/> from the file's start to its end (not disposed). An empty file has none.</summary>
    public static Task<long> CountRowsAsync(Stream decoded, char delimiter, CancellationToken ct) =>
        CountRowsAsync(decoded, delimiter, CsvRecords.UnnamedSource, ct);

    /// <summary>The same, <paramref name="source"/> (the input's path or URL) named by the error of a file that cannot be read.</summary>
    public static async Task<long> CountRowsAsync(Stream decoded, char delimiter, string source, CancellationToken ct)
    {
        await using var records = CsvRecords.FromFileStart(decoded, delimiter, source);
        if (await records.ReadHeaderAsync(ct).ConfigureAwait(false) is null)
        {
            return 0;
        }

        long rows = 0;
        while (await records.NextRowAsync(ct).ConfigureAwait(false))
        {
            rows++;
        }

        return rows;
    }

    public async IAsyncEnumerable<object?[]> ReadAsync(IReadOnlyList<int> columns, long skip, [EnumeratorCancellation] CancellationToken ct)
    {
        if (_read)
        {
            throw new InvalidOperationException("a table reader reads its rows once");
        }

        _read = true;
        if (_atFileStart && await _records.ReadHeaderAsync(ct).ConfigureAwait(false) is null)
        {
            yield break;
        }

        for (long skipped = 0; skipped < skip; skipped++)
        {
            if (!await _records.NextRowAsync(ct).ConfigureAwait(false))
            {
                yield break;
            }
        }

        var row = new object?[columns.Count];
        while (await _records.NextRowAsync(ct).ConfigureAwait(false))
        {
            for (var i = 0; i < row.Length; i++)
            {
                row[i] = Value(columns[i]);
            }

            yield return row;
        }
    }

    private object? Value(int column)
    {
        if (_records.IsNull(column))
        {
            return null;
        }

        var reader = _records.Reader;
        var type = _types[column];
        if (type == typeof(long))
        {
            return CsvValues.TryInteger(reader.GetSpan(column), out var integer) ? integer : reader.GetString(column);
        }

        if (type == typeof(double))
        {
            return CsvValues.TryNumber(reader.GetSpan(column), out var number) ? number : reader.GetString(column);
        }

        if (type == typeof(bool))
        {
            return CsvValues.TryBoolean(reader.GetSpan(column), out var boolean) ? (boolean ? CsvValues.True : CsvValues.False) : reader.GetString(column);
        }

        return reader.GetString(column);
    }

    /// <summary>The header's names made usable as column names: none empty, none twice.</summary>
    private static string[] UniqueNames(string[] header)
    {
        var names = new string[header.Length];
        var taken = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < header.Length; i++)
        {
            var given = header[i].Length == 0 ? $"column{i}" : header[i];
            var name = given;
            for (var n = 1; taken.Contains(name); n++)
            {
                name = $"{given}_{n}";
            }

            taken.Add(name);
            names[i] = name;
        }

        return names;
    }

    public ValueTask DisposeAsync() => _records.DisposeAsync();
}
