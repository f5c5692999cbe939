using System.Buffers;
using System.Globalization;
using System.Text.Json;
using CsvHelper;

namespace Seldon.Batch.Dataflow;

/// <summary>Writes a table as CSV (RFC 4180: a header, "\r\n" line ends, fields quoted only when they hold the delimiter,
/// a quote or a line break, quotes doubled; UTF-8 without a byte-order mark) that <see cref="CsvTableReader"/>, DuckDB and
/// pandas read back. Values: null is an empty unquoted field and "" a quoted empty one (<c>""</c>); numbers are written
/// invariant, doubles and floats as the shortest text that reads back to the same value (NaN, Infinity, -Infinity);
/// booleans true and false; timestamps ISO-8601 (<c>2024-01-02T03:04:05.0000000</c>, a trailing Z when UTC); dates
/// yyyy-MM-dd; times of day and durations as .NET's constant format (<c>03:04:05.5000000</c>); binary values base64;
/// lists JSON text (<c>[1.5,null,"a"]</c>, a NaN or an infinity in them as a string). In a table of one column a null is
/// written as <c>""</c> (CsvHelper keeps a record from reading as a blank line), which reads back as "".</summary>
internal sealed class CsvTableWriter : ITableWriter
{
    private readonly CsvWriter _csv;
    private readonly int _width;
    private ArrayBufferWriter<byte>? _json;

    private CsvTableWriter(CsvWriter csv, int width)
    {
        _csv = csv;
        _width = width;
    }

    /// <summary>A writer of <paramref name="columns"/> to <paramref name="output"/> (left open), separated by
    /// <paramref name="delimiter"/>; the header is written now.</summary>
    public static CsvTableWriter Create(Stream output, char delimiter, IReadOnlyList<TableColumn> columns)
    {
        var options = CsvWriterOptions.Default with
        {
            Separator = delimiter,
            Quoting = CsvQuoting.WhenNeeded,
            NewLine = "\r\n",
            TrueValue = "true",
            FalseValue = "false",
            NullValue = null,
            FormatProvider = CultureInfo.InvariantCulture,
            WriteByteOrderMark = false,
            Injection = CsvInjection.None,
        };
        var csv = CsvWriter.Create(output, options, leaveOpen: true);
        csv.WriteHeader([.. columns.Select(c => c.Name)]);
        return new CsvTableWriter(csv, columns.Count);
    }

    public async ValueTask WriteAsync(object?[] row, CancellationToken ct)
    {
        if (row.Length != _width)
        {
            throw new ArgumentException($"a row of {row.Length} values for a table of {_width} columns", nameof(row));
        }

        foreach (var value in row)
        {
            WriteValue(value);
        }

        await _csv.EndRecordAsync(ct).ConfigureAwait(false);
    }

    public async Task CompleteAsync(CancellationToken ct) => await _csv.FlushAsync(ct).ConfigureAwait(false);

    private void WriteValue(object? value)
    {
        switch (value)
        {
            case null:
                _csv.WriteField((string?)null);
                break;
            case string { Length: 0 }:
                // Quoted, so that it reads back as an empty string rather than as null.
                _csv.WriteField("", CsvQuoting.Always);
                break;
            case string text:
                _csv.WriteField(text);
                break;
            case double number:
                _csv.WriteField(number, default);
                break;
            case float number:
                _csv.WriteField(number, default);
                break;
            case long integer:
                _csv.WriteField(integer, default);
                break;
            case int integer:
                _csv.WriteField(integer, default);
                break;
            case bool boolean:
                _csv.WriteField(boolean);
                break;
            case decimal number:
                _csv.WriteField(number, default);
                break;
            case DateTime timestamp:
                _csv.WriteField(timestamp, default);
                break;
            case DateOnly date:
                _csv.WriteField(date, default);
                break;
            case TimeSpan time:
                _csv.WriteField(time.ToString("c", CultureInfo.InvariantCulture));
                break;
            case byte[] bytes:
                _csv.WriteField(Convert.ToBase64String(bytes));
                break;
            case object?[] list:
                _csv.WriteField(ListJson(list));
                break;
            default:
                // The other integers (short, sbyte, the unsigned ones) and anything else formattable, invariant.
                _csv.WriteField(value);
                break;
        }
    }

    private ReadOnlySpan<byte> ListJson(object?[] list)
    {
        _json ??= new ArrayBufferWriter<byte>(256);
        _json.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_json, new JsonWriterOptions { SkipValidation = true }))
        {
            WriteJson(json, list);
        }

        return _json.WrittenSpan;
    }

    private static void WriteJson(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null:
                json.WriteNullValue();
                break;
            case object?[] list:
                WriteList(json, list);
                break;
            case string text:
                json.WriteStringValue(text);
                break;
            case bool boolean:
                json.WriteBooleanValue(boolean);
                break;
            case double number when !double.IsFinite(number):
                json.WriteStringValue(number.ToString(CultureInfo.InvariantCulture));
                break;
            case float number when !float.IsFinite(number):
                json.WriteStringValue(number.ToString(CultureInfo.InvariantCulture));
                break;
            case double number:
                json.WriteNumberValue(number);
                break;
            case float number:
                json.WriteNumberValue(number);
                break;
            case long integer:
                json.WriteNumberValue(integer);
                break;
            case ulong integer:
                json.WriteNumberValue(integer);
                break;
            case decimal number:
                json.WriteNumberValue(number);
                break;
            case int or short or sbyte or uint or ushort or byte:
                json.WriteNumberValue(Convert.ToInt64(value, CultureInfo.InvariantCulture));
                break;
            case DateTime timestamp:
                json.WriteStringValue(timestamp);
                break;
            case DateOnly date:
                json.WriteStringValue(date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
                break;
            case TimeSpan time:
                json.WriteStringValue(time.ToString("c", CultureInfo.InvariantCulture));
                break;
            case byte[] bytes:
                json.WriteBase64StringValue(bytes);
                break;
            default:
                json.WriteStringValue(Convert.ToString(value, CultureInfo.InvariantCulture));
                break;
        }
    }

    private static void WriteList(Utf8JsonWriter json, object?[] list)
    {
        json.WriteStartArray();
        foreach (var item in list)
        {
            WriteJson(json, item);
        }

        json.WriteEndArray();
    }

    public ValueTask DisposeAsync() => _csv.DisposeAsync();
}
