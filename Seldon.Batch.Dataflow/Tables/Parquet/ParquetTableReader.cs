using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>A Parquet file read as a table, by row groups: only the row groups that hold the rows asked for are read,
/// one at a time, and of each only the column chunks of the columns asked for, so memory follows a row group (of the
/// columns read), never the file. Over an object (<see cref="IPrefetchableStream"/>) it fetches a row group's chunks
/// before reading them, in one ranged GET where they lie together. The reader owns the stream it was given.</summary>
internal sealed class ParquetTableReader : ITableReader
{
    /// <summary>What is fetched of an object's end before its footer is read: most footers fit, and a larger one costs
    /// one more GET.</summary>
    private const int FooterReadAheadBytes = 64 << 10;

    /// <summary>Column chunks of a row group closer than this are fetched in one GET, the gap with them.</summary>
    private const int ChunkGapBytes = 64 << 10;

    private static readonly byte[] Magic = "PAR1"u8.ToArray();

    private readonly Stream _stream;
    private readonly ParquetReader _file;
    private readonly ParquetColumn[] _columns;
    private readonly string _name;
    private readonly long _firstRow;
    private readonly long _endRow;
    private bool _read;

    private ParquetTableReader(Stream stream, ParquetReader file, string name, long firstRow, long endRow, IReadOnlyList<long> rowGroupRows)
    {
        _stream = stream;
        _file = file;
        _name = name;
        _firstRow = firstRow;
        _endRow = endRow;
        _columns = [.. file.Schema.Fields.Select(ParquetColumn.For)];
        Columns = [.. _columns.Select(c => c.Table)];
        RowGroupRows = rowGroupRows;
        RowCount = rowGroupRows.Sum();
    }

    public IReadOnlyList<TableColumn> Columns { get; }

    /// <summary>The rows of the whole file.</summary>
    public long RowCount { get; }

    /// <summary>The rows of each row group of the file, in order.</summary>
    public IReadOnlyList<long> RowGroupRows { get; }

    /// <summary>Opens the Parquet file in <paramref name="seekable"/> for its rows <c>[firstRow, endRow)</c> (to its end
    /// when <paramref name="endRow"/> is null). Reads the footer only. A stream that is not Parquet, or is cut short,
    /// fails with a settings <see cref="StorageException"/> naming it (a file's path, an object's URL).</summary>
    public static async Task<ParquetTableReader> OpenAsync(Stream seekable, long firstRow, long? endRow, CancellationToken ct)
    {
        var name = NameOf(seekable);
        try
        {
            await ReadFooterAheadAsync(seekable, name, ct).ConfigureAwait(false);
            ParquetReader file;
            try
            {
                file = await ParquetReader.CreateAsync(seekable, new ParquetOptions { UseDateOnlyTypeForDates = true }, leaveStreamOpen: true, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not StorageException)
            {
                throw StorageException.Settings($"{name} is not a Parquet file that can be read ({ex.Message}): give a Parquet file, or set the input's format", ex);
            }

            IReadOnlyList<long> rowGroupRows = [.. file.Metadata!.RowGroups.Select(g => g.NumRows)];
            var rows = rowGroupRows.Sum();
            var end = endRow ?? rows;
            if (firstRow < 0 || firstRow > end || end > rows)
            {
                await file.DisposeAsync().ConfigureAwait(false);
                throw new ArgumentOutOfRangeException(nameof(firstRow), string.Create(CultureInfo.InvariantCulture, $"rows [{firstRow}, {end}) are not within the {rows} rows of {name}"));
            }

            return new ParquetTableReader(seekable, file, name, firstRow, end, rowGroupRows);
        }
        catch
        {
            await seekable.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>How messages name the input: a file's path, an object's URL.</summary>
    private static string NameOf(Stream stream) => stream switch
    {
        FileStream file => file.Name,
        ObjectRangeStream range => range.Location.ToString(),
        _ => "the Parquet input",
    };

    /// <summary>Checks the end of the stream is a Parquet footer (its length, then <c>PAR1</c>), fetching it ahead from
    /// an object first, so a file of another kind gets a message that says so.</summary>
    private static async Task ReadFooterAheadAsync(Stream stream, string name, CancellationToken ct)
    {
        var length = stream.Length;
        if (length < 12)
        {
            throw StorageException.Settings(string.Create(CultureInfo.InvariantCulture, $"{name} is not a Parquet file: it is {length} bytes long, shorter than a Parquet file can be"));
        }

        var prefetch = stream as IPrefetchableStream;
        if (prefetch is not null)
        {
            await prefetch.PrefetchAsync(length - FooterReadAheadBytes, length, ct).ConfigureAwait(false);
        }

        var tail = new byte[8];
        stream.Seek(-8, SeekOrigin.End);
        await stream.ReadExactlyAsync(tail, ct).ConfigureAwait(false);
        if (!tail.AsSpan(4).SequenceEqual(Magic))
        {
            throw StorageException.Settings($"{name} is not a Parquet file (it does not end with PAR1; it may be cut short, or of another format): give a Parquet file, or set the input's format");
        }

        var footer = BinaryPrimitives.ReadInt32LittleEndian(tail);
        if (footer <= 0 || footer > length - 12)
        {
            throw StorageException.Settings(string.Create(CultureInfo.InvariantCulture, $"{name} is a damaged Parquet file: its footer says it is {footer} bytes long, and the file is {length}"));
        }

        if (prefetch is not null && footer + 8 > FooterReadAheadBytes)
        {
            await prefetch.PrefetchAsync(length - 8 - footer, length, ct).ConfigureAwait(false);
        }
    }

    public async IAsyncEnumerable<object?[]> ReadAsync(IReadOnlyList<int> columns, long skip, [EnumeratorCancellation] CancellationToken ct)
    {
        if (_read)
        {
            throw new InvalidOperationException("a table reader reads its rows once");
        }

        _read = true;
        ArgumentOutOfRangeException.ThrowIfNegative(skip);

        // Each column is read once however often it is asked for.
        var read = columns.Distinct().ToArray();
        var slot = columns.Select(c => Array.IndexOf(read, c)).ToArray();
        var first = slot.Select(s => Array.IndexOf(slot, s)).ToArray();
        foreach (var c in read)
        {
            if (_columns[c].Unsupported is { } what)
            {
                throw StorageException.Settings($"{_name}: the column '{_columns[c].Table.Name}' is {what}, which cannot be read as a table's column: leave it out");
            }
        }

        var start = Math.Min(_firstRow + skip, _endRow);
        var row = new object?[columns.Count];
        var values = new ColumnValues[read.Length];
        long groupStart = 0;
        for (var g = 0; g < RowGroupRows.Count && groupStart < _endRow; groupStart += RowGroupRows[g], g++)
        {
            var groupEnd = groupStart + RowGroupRows[g];
            if (groupEnd <= start)
            {
                // Before the rows asked for: not even fetched.
                continue;
            }

            await ReadRowGroupAsync(g, read, values, ct).ConfigureAwait(false);
            var last = (int)(Math.Min(_endRow, groupEnd) - groupStart);
            for (var r = (int)(Math.Max(start, groupStart) - groupStart); r < last; r++)
            {
                Fill(row, values, read, slot, first, g, r);
                yield return row;
            }
        }
    }

    private void Fill(object?[] row, ColumnValues[] values, int[] read, int[] slot, int[] first, int group, int r)
    {
        var i = 0;
        try
        {
            for (; i < row.Length; i++)
            {
                // A column asked for twice (the model's and a kept one) takes the value its first place took: not boxed again.
                row[i] = first[i] < i ? row[first[i]] : values[slot[i]][r];
            }
        }
        catch (InvalidDataException ex)
        {
            throw StorageException.Settings(string.Create(
                CultureInfo.InvariantCulture,
                $"{_name}: the column '{_columns[read[slot[i]]].Table.Name}' of row {RowOf(group, r)} cannot be read: {ex.Message}"), ex);
        }
    }

    private long RowOf(int group, int r) => RowGroupRows.Take(group).Sum() + r;

    /// <summary>Reads the chunks of <paramref name="read"/> in row group <paramref name="group"/>, in the order they lie
    /// in the file, each run of nearby chunks fetched ahead at once from an object.</summary>
    private async Task ReadRowGroupAsync(int group, int[] read, ColumnValues[] values, CancellationToken ct)
    {
        var rowGroup = _file.OpenRowGroupReader(group);
        var rows = checked((int)rowGroup.RowCount);
        var chunks = read.Select((c, i) => (Index: i, Range: ChunkRange(rowGroup, _columns[c].Leaf!))).OrderBy(x => x.Range.Start).ToArray();
        long fetchedTo = -1;
        for (var k = 0; k < chunks.Length; k++)
        {
            if (_stream is IPrefetchableStream prefetch && chunks[k].Range.Start >= fetchedTo)
            {
                var end = chunks[k].Range.End;
                for (var j = k + 1; j < chunks.Length && chunks[j].Range.Start - end <= ChunkGapBytes; j++)
                {
                    end = Math.Max(end, chunks[j].Range.End);
                }

                await prefetch.PrefetchAsync(chunks[k].Range.Start, end, ct).ConfigureAwait(false);
                fetchedTo = end;
            }

            var column = _columns[read[chunks[k].Index]];
            try
            {
                values[chunks[k].Index] = await column.ReadAsync(rowGroup, rows, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException and not StorageException)
            {
                throw StorageException.Settings(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{_name}: the column '{column.Table.Name}' of row group {group} (rows from {RowOf(group, 0)}) cannot be read: {ex.Message}"), ex);
            }
        }
    }

    /// <summary>The bytes of a column chunk: from its first page (the dictionary's, when it has one) for its compressed size.</summary>
    private static (long Start, long End) ChunkRange(ParquetRowGroupReader rowGroup, DataField leaf)
    {
        if (rowGroup.GetMetadata(leaf)?.MetaData is not { } chunk)
        {
            return (0, 0);
        }

        var start = chunk.DictionaryPageOffset is long dictionary && dictionary > 0 && dictionary < chunk.DataPageOffset ? dictionary : chunk.DataPageOffset;
        return (start, start + chunk.TotalCompressedSize);
    }

    public async ValueTask DisposeAsync()
    {
        await _file.DisposeAsync().ConfigureAwait(false);
        await _stream.DisposeAsync().ConfigureAwait(false);
    }
}
