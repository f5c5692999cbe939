using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json.Nodes;
using Seldon.Batch.Dataflow;

namespace Seldon.Batch.Dataflow.Tests.Tables;

/// <summary>Stand-ins for the formats a table output reaches through <see cref="TableFiles"/>, until the CSV and Parquet
/// readers and writers are merged: an input table held in memory, and a writer of a plain text table (a JSON header of
/// the columns, then one JSON array per row) that can be read back, and made to fail after some rows as a full disk
/// does.</summary>
internal static class FakeTables
{
    /// <summary>The formats of a run: the input read as its format says (a JSON-lines input as the library reads it) unless
    /// <paramref name="input"/> stands for it; tables written as text, failing after <paramref name="failAfterRows"/> rows
    /// when that is not negative.</summary>
    public static TableFiles Files(MemoryTable? input = null, int failAfterRows = -1) => new(
        (source, version, format, ct) => input is not null ? Task.FromResult<ITableReader>(input) : TableFiles.Default.OpenInput(source, version, format, ct),
        (format, table, output, columns, ct) => Task.FromResult<ITableWriter>(new TextTableWriter(output, columns, failAfterRows)));

    /// <summary>A table written by <see cref="TextTableWriter"/>: its columns and rows.</summary>
    public static async Task<TextTable> ReadAsync(string path)
    {
        var lines = await File.ReadAllLinesAsync(path);
        var header = JsonNode.Parse(lines[0])!.AsArray();
        return new TextTable(
            [.. header.Select(c => (c!["name"]!.GetValue<string>(), c["type"]!.GetValue<string>()))],
            [.. lines.Skip(1).Select(l => JsonNode.Parse(l)!.AsArray())]);
    }

    /// <summary>A table of <paramref name="rows"/> rows: a long <c>id</c> (its row number) and a string <c>city</c>.</summary>
    public static MemoryTable Cities(int rows) => new(
        [new TableColumn("id", typeof(long)), new TableColumn("city", typeof(string))],
        [.. Enumerable.Range(0, rows).Select(i => new object?[] { (long)i, $"city-{i}" })]);
}

/// <summary>A table read back: each column's name and type (a CLR type's name; a list's as <c>list of</c> its element's),
/// and its rows as JSON arrays.</summary>
internal sealed record TextTable(IReadOnlyList<(string Name, string Type)> Columns, IReadOnlyList<JsonArray> Rows)
{
    public IEnumerable<string> Names => Columns.Select(c => c.Name);

    /// <summary>The value of <paramref name="column"/> in row <paramref name="row"/>.</summary>
    public JsonNode? this[int row, string column] => Rows[row][Columns.Select(c => c.Name).ToList().IndexOf(column)];

    public string TypeOf(string column) => Columns.Single(c => c.Name == column).Type;
}

/// <summary>Writes a table as text: its columns as a JSON array, then a JSON array per row.</summary>
internal sealed class TextTableWriter : ITableWriter
{
    private readonly StreamWriter _text;
    private readonly int _failAfterRows;
    private int _rows;

    public TextTableWriter(Stream output, IReadOnlyList<TableColumn> columns, int failAfterRows)
    {
        _text = new StreamWriter(output, new UTF8Encoding(false), 1 << 10, leaveOpen: true);
        _failAfterRows = failAfterRows;
        var header = new JsonArray([.. columns.Select(c => (JsonNode)new JsonObject
        {
            ["name"] = c.Name,
            ["type"] = c.ValueType == typeof(object?[]) ? $"list of {c.ElementType?.Name}" : c.ValueType.Name,
        })]);
        _text.WriteLine(header.ToJsonString());
    }

    public async ValueTask WriteAsync(object?[] row, CancellationToken ct)
    {
        if (_failAfterRows >= 0 && _rows == _failAfterRows)
        {
            // What .NET throws on Linux when the disk is full (errno 28).
            throw new IOException("No space left on device : 'the table'", 28);
        }

        _rows++;
        await _text.WriteLineAsync(new JsonArray([.. row.Select(ToNode)]).ToJsonString());
    }

    public async Task CompleteAsync(CancellationToken ct) => await _text.FlushAsync(ct);

    public ValueTask DisposeAsync() => _text.DisposeAsync();

    private static JsonNode? ToNode(object? value) => value switch
    {
        null => null,
        object?[] list => new JsonArray([.. list.Select(ToNode)]),
        double d => JsonValue.Create(d),
        long l => JsonValue.Create(l),
        bool b => JsonValue.Create(b),
        string s => JsonValue.Create(s),
        _ => JsonValue.Create(value.ToString()),
    };
}
