using CsvHelper;

namespace Seldon.Batch.Dataflow;

/// <summary>The records of CSV text, as every CSV reading of a run sees them (the layout, the row count, the shard cuts
/// and the rows agree because they all read through this): RFC 4180 with the given delimiter, quoted fields that may hold
/// delimiters, quotes and line breaks, records ending at '\n' or "\r\n" (or a lone '\r'), a byte-order mark dropped at
/// the start, invalid UTF-8 replaced (never fatal). The header is the first record that is not a blank line. A blank
/// line is a row only in a table of one column (its one value null, as DuckDB and pandas read it); in a wider table it
/// is passed over. A field's value is null when it is empty and unquoted, "" when it is a quoted empty field.</summary>
internal sealed class CsvRecords : IAsyncDisposable
{
    /// <summary>How messages name a file they were not told the name of.</summary>
    public const string UnnamedSource = "the CSV input";

    /// <summary>The longest record read: a quote that is never closed would otherwise make the rest of the file one
    /// record held in memory.</summary>
    public const int MaxRecordBytes = 64 << 20;

    private readonly CsvReader _reader;
    private readonly string _source;
    private int _width;

    private CsvRecords(Stream decoded, char delimiter, int width, string source)
    {
        // The header is read as a record (HasHeader false) so that blank lines before it are passed over as after it.
        // Empty lines are not skipped by the parser: a blank line of a one-column table is a row. Nothing is guessed:
        // no separator detection, no "sep=" line, no comments, no trimming.
        var options = CsvReaderOptions.Default with
        {
            Separator = delimiter,
            HasHeader = false,
            Mode = CsvMode.Rfc4180,
            AllowLineBreaksInQuotes = true,
            SkipEmptyLines = false,
            DetectSeparatorHint = false,
            CommentPrefix = null,
            TrimWhitespace = false,
            IncludeValuesInExceptions = false,
            MaxRecordSize = MaxRecordBytes,
        };
        _reader = CsvReader.Create(decoded, options, leaveOpen: true);
        _width = width;
        _source = source;
    }

    /// <summary>Records of <paramref name="decoded"/> (left open) from its start, whose first is the header;
    /// <paramref name="source"/> names the file in messages.</summary>
    public static CsvRecords FromFileStart(Stream decoded, char delimiter, string source = UnnamedSource) => new(decoded, delimiter, width: 0, source);

    /// <summary>Records of <paramref name="decoded"/> (left open) that starts at a row of a table of
    /// <paramref name="width"/> columns (a shard's range): every record is a row.</summary>
    public static CsvRecords FromRow(Stream decoded, char delimiter, int width, string source = UnnamedSource) => new(decoded, delimiter, width, source);

    /// <summary>The parser, on the current record.</summary>
    public CsvReader Reader => _reader;

    /// <summary>The decoded byte offset where the current record starts, from the start of the stream.</summary>
    public long RecordStart => _reader.ByteOffset;

    /// <summary>Reads the header: the field texts of the first record that is not a blank line, or null when there is
    /// none (an empty file, or one of blank lines or a byte-order mark only). Called first, on a file's start only.</summary>
    public async ValueTask<string[]?> ReadHeaderAsync(CancellationToken ct)
    {
        while (await ReadRecordAsync(ct).ConfigureAwait(false))
        {
            if (IsBlankLine())
            {
                continue;
            }

            var names = new string[_reader.FieldCount];
            for (var i = 0; i < names.Length; i++)
            {
                names[i] = _reader.GetString(i);
            }

            _width = names.Length;
            return names;
        }

        return null;
    }

    /// <summary>Moves to the next row; false at the end.</summary>
    public async ValueTask<bool> NextRowAsync(CancellationToken ct)
    {
        while (await ReadRecordAsync(ct).ConfigureAwait(false))
        {
            if (_width > 1 && IsBlankLine())
            {
                continue;
            }

            return true;
        }

        return false;
    }

    /// <summary>Whether field <paramref name="index"/> of the current row is null: empty and unquoted, or missing from a
    /// short row.</summary>
    public bool IsNull(int index) => index >= _reader.FieldCount || (_reader.IsEmpty(index) && _reader.GetRawSpan(index).IsEmpty);

    private async ValueTask<bool> ReadRecordAsync(CancellationToken ct)
    {
        try
        {
            return await _reader.ReadAsync(ct).ConfigureAwait(false);
        }
        catch (CsvFormatException ex)
        {
            // Malformed quoting is read as well as it can be; what is left is a record past the limit.
            throw StorageException.Settings(
                $"{_source} cannot be read as CSV near byte {ex.ByteOffset} ({ex.Message.TrimEnd('.')}): a record longer than {MaxRecordBytes >> 20} MiB is most likely a quote that is never closed", ex);
        }
    }

    private bool IsBlankLine() => _reader.FieldCount <= 1 && _reader.RawRecord.IsEmpty;

    public ValueTask DisposeAsync() => _reader.DisposeAsync();
}
