using System.Collections;
using System.Globalization;
using Parquet;
using Parquet.Schema;

namespace Seldon.Batch.Dataflow;

/// <summary>A table written as Parquet (snappy-compressed) to a forward-only stream (a file, or an object's multipart
/// upload): rows are gathered, each value as it comes into its column's encoder (typed, not boxed: see
/// <see cref="ColumnEncoder"/>), until a row group is full (<see cref="DefaultRowGroupRows"/> rows, or fewer when their values
/// reach about <see cref="RowGroupBudgetBytes"/>), then written, so memory follows a row group, never the table. The footer
/// is written by <see cref="CompleteAsync"/>: a writer disposed before it leaves no readable file. Each column's Parquet
/// type is chosen by <see cref="ParquetColumnEncoders"/>, at the start, or for a list column that names no element type
/// (neither a Parquet type of its own nor <see cref="TableColumn.ElementType"/>) when the first row group is written (its
/// rows, held until then, tell the element type).</summary>
internal sealed class ParquetTableWriter : ITableWriter
{
    /// <summary>Rows per row group. Measured on 1M rows of five columns (docs/formats.md): the process's peak memory
    /// follows the row group's size more than the held values suggest (Parquet.Net writes a column chunk as one page,
    /// and large buffers come and go per row group): reading and writing at once took 51 MiB at 16 Ki rows, 116 MiB at
    /// 32 Ki, 151 MiB at 64 Ki, 286 MiB at 128 Ki, and 16 Ki rows were not slower nor the file larger (0.1 %).</summary>
    internal const int DefaultRowGroupRows = 16 * 1024;

    /// <summary>A row group is written early once its held values reach about this much (long text, lists, many columns).</summary>
    internal const long RowGroupBudgetBytes = 16L << 20;

    private readonly Stream _output;
    private readonly IReadOnlyList<TableColumn> _columns;
    private readonly int _rowGroupRows;
    private readonly ColumnEncoder?[] _encoders;

    /// <summary>Per column whose encoder waits for the first row group's rows, those rows' values; null for the others,
    /// and for every column once the first row group is written.</summary>
    private readonly object?[]?[] _held;
    private ParquetWriter? _writer;
    private int _rows;
    private long _bytes;
    private bool _completed;

    private ParquetTableWriter(Stream output, IReadOnlyList<TableColumn> columns, int rowGroupRows)
    {
        _output = output;
        _columns = columns;
        _rowGroupRows = rowGroupRows;
        _encoders = [.. columns.Select(ParquetColumnEncoders.Known)];
        _held = [.. _encoders.Select(e => e is null ? new object?[rowGroupRows] : null)];
    }

    /// <summary>A writer of <paramref name="columns"/> to <paramref name="output"/>. A column that Parquet cannot hold (a
    /// struct or a map read from a Parquet input) is refused with a settings <see cref="StorageException"/>.</summary>
    public static Task<ParquetTableWriter> CreateAsync(Stream output, IReadOnlyList<TableColumn> columns, CancellationToken ct) =>
        Task.FromResult(Create(output, columns, DefaultRowGroupRows));

    /// <summary>The same, with <paramref name="rowGroupRows"/> rows per row group (tests make several from a few rows).</summary>
    internal static ParquetTableWriter Create(Stream output, IReadOnlyList<TableColumn> columns, int rowGroupRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rowGroupRows, 1);
        EnsureWritable(columns, output is FileStream file ? file.Name : "the Parquet output");
        return new ParquetTableWriter(output, columns, rowGroupRows);
    }

    /// <summary>Throws a settings <see cref="StorageException"/> naming <paramref name="output"/> and the column when a
    /// column cannot be written to Parquet: a struct or a map of a Parquet input kept in the output. A run calls it
    /// before it starts, so the refusal comes before any prediction.</summary>
    public static void EnsureWritable(IReadOnlyList<TableColumn> columns, string output)
    {
        if (columns.Count == 0)
        {
            throw new ArgumentException("a Parquet table has at least one column", nameof(columns));
        }

        foreach (var column in columns)
        {
            if (ParquetColumnEncoders.Unwritable(column) is { } what)
            {
                throw StorageException.Settings(
                    $"{output}: the input column '{column.Name}' is {what}, which this processor does not copy into a table: leave it out of BatchOptions.KeepColumns");
            }
        }

        if (columns.GroupBy(c => c.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw StorageException.Settings($"{output}: two columns are named '{twice.Key}': a Parquet table's column names must differ");
        }
    }

    public async ValueTask WriteAsync(object?[] row, CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (row.Length != _encoders.Length)
        {
            throw new ArgumentException(string.Create(CultureInfo.InvariantCulture, $"a row of {row.Length} values for {_encoders.Length} columns"), nameof(row));
        }

        for (var c = 0; c < row.Length; c++)
        {
            var value = row[c];
            if (_encoders[c] is { } encoder)
            {
                encoder.Add(value);
            }
            else
            {
                _held[c]![_rows] = value;
            }

            _bytes += SizeOf(value);
        }

        if (++_rows == _rowGroupRows || _bytes >= RowGroupBudgetBytes)
        {
            await WriteRowGroupAsync(ct).ConfigureAwait(false);
        }
    }

    /// <summary>About what a held value costs: its object and, for text, bytes and lists, what it holds.</summary>
    private static long SizeOf(object? value) => value switch
    {
        null => 8,
        string s => 32 + (2L * s.Length),

        // A number, a flag, a date (most cells): known before the test for a list, which an interface makes slower.
        ValueType => 32,
        byte[] b => 32 + b.Length,
        IList list => 32 + (32L * list.Count),
        _ => 32,
    };

    public async Task CompleteAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        if (_rows > 0 || _writer is null)
        {
            await WriteRowGroupAsync(ct).ConfigureAwait(false);
        }

        _completed = true;
        // Disposing Parquet.Net's writer writes the footer; the stream stays open for the caller.
        await _writer!.DisposeAsync().ConfigureAwait(false);
        await _output.FlushAsync(ct).ConfigureAwait(false);
    }

    /// <summary>Writes the rows gathered as a row group (none: only makes the file, for a table of no rows).</summary>
    private async Task WriteRowGroupAsync(CancellationToken ct)
    {
        if (_writer is null)
        {
            // Parquet.Net wants the schema before the first row group; a list column that names no element type takes
            // it from the rows of this one.
            for (var c = 0; c < _encoders.Length; c++)
            {
                if (_held[c] is { } held)
                {
                    var encoder = ParquetColumnEncoders.For(_columns[c], held.AsSpan(0, _rows));
                    for (var r = 0; r < _rows; r++)
                    {
                        encoder.Add(held[r]);
                    }

                    _encoders[c] = encoder;
                    _held[c] = null;
                }
            }

            var schema = new ParquetSchema(_encoders.Select(e => e!.Field));
            _writer = await ParquetWriter.CreateAsync(schema, _output, new ParquetOptions { CompressionMethod = CompressionMethod.Snappy }, append: false, ct).ConfigureAwait(false);
        }

        if (_rows > 0)
        {
            using (var rowGroup = _writer.CreateRowGroup())
            {
                foreach (var encoder in _encoders)
                {
                    await encoder!.WriteAsync(rowGroup, ct).ConfigureAwait(false);
                }

                rowGroup.CompleteValidate();
            }
        }

        _rows = 0;
        _bytes = 0;
    }

    /// <summary>Nothing is written: a table not completed has no footer, and its stream is the caller's to discard.</summary>
    public ValueTask DisposeAsync()
    {
        _completed = true;
        return ValueTask.CompletedTask;
    }
}
